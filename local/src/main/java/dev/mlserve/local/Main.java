package dev.mlserve.local;

import java.io.PrintStream;

/** {@code java -jar local/target/scoring-local.jar COMMAND ...}: results on stdout, logs on stderr. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        PrintStream stdout = System.out;
        // Anything a library prints must not mix with the result a script reads.
        System.setOut(System.err);
        int code = new Cli(stdout, System.err).run(args);
        stdout.flush();
        System.exit(code);
    }
}
