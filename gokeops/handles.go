package gokeops

import (
	"sync"
	"sync/atomic"
)

// cancels maps the token of each running call to its cancel flag. A flag
// set before its call starts (Cancel raced ahead) stops the call at once.
var cancels = struct {
	sync.Mutex
	flags map[int64]*atomic.Bool
}{flags: map[int64]*atomic.Bool{}}

func cancelFlag(token int64) *atomic.Bool {
	cancels.Lock()
	defer cancels.Unlock()
	f, ok := cancels.flags[token]
	if !ok {
		f = new(atomic.Bool)
		cancels.flags[token] = f
	}
	return f
}

func dropCancelFlag(token int64) {
	cancels.Lock()
	defer cancels.Unlock()
	delete(cancels.flags, token)
}

// Cancel asks the call started with token to stop; it returns within one
// tile of work with a KeyboardInterrupt error.
func Cancel(token int64) (ok bool, err error) {
	defer guard(&err)
	cancelFlag(token).Store(true)
	return true, nil
}

// Forget drops the cancel flag of a finished call's token.
func Forget(token int64) (ok bool, err error) {
	defer guard(&err)
	dropCancelFlag(token)
	return true, nil
}
