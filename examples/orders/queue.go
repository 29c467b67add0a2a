package orders

import (
	"errors"
	"os"
	"sync"
	"time"
)

// ErrIdle is returned when no order arrived for a while.
var ErrIdle = errors.New("orders: idle")

// Order is one customer order.
type Order struct {
	ID    string
	Items []string
}

// Queue is a small in-memory order queue.
type Queue struct {
	mu    sync.Mutex
	items []Order
	in    chan Order
}

// Len returns the number of queued orders.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// Pump moves incoming orders into the queue until it has been idle for a minute.
// Fault: each order abandons the minute-long timer of the previous iteration, which
// stays alive until it fires.
func (q *Queue) Pump() error {
	for {
		select {
		case o := <-q.in:
			q.mu.Lock()
			q.items = append(q.items, o)
			q.mu.Unlock()
		case <-time.After(time.Minute):
			return ErrIdle
		}
	}
}

// Drain is the correct shape, for comparison: one timer, reset on every order.
func (q *Queue) Drain(handle func(Order)) error {
	idle := time.NewTimer(time.Minute)
	defer idle.Stop()
	for {
		select {
		case o := <-q.in:
			handle(o)
			idle.Reset(time.Minute)
		case <-idle.C:
			return ErrIdle
		}
	}
}

// Snapshot writes the queued orders to a file.
//
// Fault: the file write happens while q.mu is held, so on a slow disk every Len, Pump
// and Snapshot caller waits behind it. Copy the items under the lock, write after.
func (q *Queue) Snapshot(path string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	var b []byte
	for _, o := range q.items {
		b = append(b, o.ID...)
		b = append(b, '\n')
	}
	return os.WriteFile(path, b, 0o644)
}
