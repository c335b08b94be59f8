//! Every supported form compiles; every misuse fails with a clear message on the user's token.
//! Snapshots (`.stderr`) are generated with `TRYBUILD=overwrite` and reviewed in the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
