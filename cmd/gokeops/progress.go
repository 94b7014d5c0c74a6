package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progressBar draws "[#####.....]  45%  3.2 s" on one terminal line,
// redrawn at most ten times a second, once the run has lasted delay (short
// runs draw nothing).
type progressBar struct {
	w     io.Writer
	start time.Time
	last  time.Time
	delay time.Duration
	drawn bool
}

func newProgressBar(w io.Writer, delay time.Duration) *progressBar {
	return &progressBar{w: w, start: time.Now(), delay: delay}
}

const barWidth = 40

func (p *progressBar) update(done, total int) {
	now := time.Now()
	if !p.drawn && now.Sub(p.start) < p.delay {
		return
	}
	if done < total && now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	frac := 1.0
	if total > 0 {
		frac = float64(done) / float64(total)
	}
	n := int(frac * barWidth)
	fmt.Fprintf(p.w, "\r[%s%s] %3.0f%%  %.1f s", strings.Repeat("#", n), strings.Repeat(".", barWidth-n),
		100*frac, now.Sub(p.start).Seconds())
	p.drawn = true
}

// close ends the bar's line, once.
func (p *progressBar) close() {
	if p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}
