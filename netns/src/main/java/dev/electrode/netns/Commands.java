package dev.electrode.netns;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs iproute2 and friends; a failure throws with the command line and its error output. */
public final class Commands {
    private Commands() {}

    /** Runs {@code ip args...} and returns its standard output. */
    public static String ip(String... args) {
        List<String> cmd = new ArrayList<>(args.length + 1);
        cmd.add("ip");
        cmd.addAll(List.of(args));
        return run(cmd);
    }

    /** Runs a command and returns its standard output; throws NetnsException on a non-zero exit. */
    public static String run(List<String> cmd) {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
        } catch (IOException e) {
            throw new NetnsException("cannot run '" + String.join(" ", cmd) + "': " + e.getMessage()
                    + " (is iproute2 installed? run ci/setup-host.sh)", e);
        }
        try {
            byte[] out = p.getInputStream().readAllBytes();
            byte[] err = p.getErrorStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new NetnsException("'" + String.join(" ", cmd) + "' did not finish in 30 s");
            }
            if (p.exitValue() != 0) {
                throw new NetnsException("'" + String.join(" ", cmd) + "' failed (exit " + p.exitValue() + "): "
                        + new String(err, StandardCharsets.UTF_8).strip());
            }
            return new String(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new NetnsException("reading output of '" + String.join(" ", cmd) + "': " + e.getMessage(), e);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new NetnsException("interrupted while running '" + String.join(" ", cmd) + "'", e);
        }
    }
}
