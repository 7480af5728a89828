package dev.electrode.cli;

import picocli.CommandLine.Option;

/** How often a running replica prints its counters. */
public final class StatsOption {
    @Option(names = "--stats-every", defaultValue = "10",
            description = "seconds between stats lines (every counter, rejections by reason); 0 prints them only at stop (default: ${DEFAULT-VALUE})")
    public int statsEverySeconds;
}
