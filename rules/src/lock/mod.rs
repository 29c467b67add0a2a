//! The lock family: blocking I/O performed while a mutex is held.

pub mod catalog;
mod lock_held_io;

pub use lock_held_io::LockHeldIo;
