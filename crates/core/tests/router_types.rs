//! The router is typed: a handler whose argument or output type is not the
//! method's does not compile. `right_types.rs` is the control (the same route
//! with the right types compiles), so the failures are about the types.

#[test]
fn a_route_with_the_wrong_types_does_not_compile() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/right_types.rs");
    t.compile_fail("tests/ui/wrong_args.rs");
    t.compile_fail("tests/ui/wrong_output.rs");
}
