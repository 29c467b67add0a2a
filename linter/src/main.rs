fn main() -> std::process::ExitCode {
    linter::main()
}
