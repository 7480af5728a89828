package dev.electrode.server;

import java.util.Locale;

/** How a replica keeps its state across crashes. */
public enum Durability {
    /** Nothing on disk: a crash of every replica loses everything (for benchmarks). */
    MEMORY,
    /** The journal is forced before anything a turn of the event loop sent leaves: nothing acknowledged is lost. */
    SYNC,
    /** The journal is written every turn and forced every {@link ReplicaServer#ASYNC_FORCE_MILLIS} ms: a crash of the machine loses at most that window. */
    ASYNC;

    /** Parses "memory", "sync" or "async". */
    public static Durability parse(String s) {
        try {
            return valueOf(s.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown durability '" + s + "' (memory, sync, async)");
        }
    }
}
