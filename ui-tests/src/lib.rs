//! trybuild cases for promforge live in `tests/ui/`; this library is empty.
