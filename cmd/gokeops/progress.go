package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progressBar draws "[#####.....]  45%  3.2 s" on one terminal line,
// redrawn at most ten times a second.
type progressBar struct {
	w     io.Writer
	start time.Time
	last  time.Time
	drawn bool
}

func newProgressBar(w io.Writer) *progressBar {
	return &progressBar{w: w, start: time.Now()}
}

const barWidth = 40

func (p *progressBar) update(done, total int) {
	now := time.Now()
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

// close ends the bar's line.
func (p *progressBar) close() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}
