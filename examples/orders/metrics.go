package orders

import (
	"context"
	"log"
	"time"
)

// Reporter pushes queue metrics every few seconds.
type Reporter struct {
	queue *Queue
	every *time.Ticker
}

// NewReporter starts a reporter. Fault: the ticker stored in `every` is never
// stopped anywhere in the package, so every reporter leaks a live timer.
func NewReporter(q *Queue) *Reporter {
	r := &Reporter{queue: q}
	r.every = time.NewTicker(5 * time.Second)
	go r.loop()
	return r
}

// loop runs in its own goroutine. Fault: nothing ever breaks out of it, and
// stopping the ticker would not close its channel: the goroutine can never end.
func (r *Reporter) loop() {
	for range r.every.C {
		log.Printf("queue depth: %d", r.queue.Len())
	}
}

// WaitDrained polls until the queue is empty. Fault: time.Tick leaks its Ticker once
// the function returns.
func WaitDrained(ctx context.Context, q *Queue) error {
	for range time.Tick(100 * time.Millisecond) {
		if q.Len() == 0 {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

// Heartbeat sends a heartbeat until the context ends. Fault: the ticker is never
// stopped when the function returns.
func Heartbeat(ctx context.Context, send func() error) error {
	t := time.NewTicker(time.Second)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			if err := send(); err != nil {
				return err
			}
		}
	}
}
