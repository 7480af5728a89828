package dev.electrode.server;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * One replica's error channel: every unexpected error, by kind, each also logged on stderr as
 * {@code replica <i>: ERROR [<KIND>]: ...}. Counted and kept (the latest 100) so that tests and
 * supervisors can read them: nothing a replica survives goes unnoticed. Safe from any thread.
 */
public final class ReplicaErrors {
    /** What went wrong. */
    public enum Kind {
        /** An exception on the receive path or in a timer: a bug, or an input the code did not foresee. */
        HANDLER_EXCEPTION,
        /** A Prepare the kernel acknowledged that user space cannot use (its record fails the check). */
        KERNEL_RECORD_UNUSABLE,
        /** The journal could not be written or forced: the replica stops. */
        JOURNAL
    }

    /** One reported error. */
    public record Error(Kind kind, String message) {
        @Override
        public String toString() { return kind + ": " + message; }
    }

    private static final int KEPT = 100;

    private final int index;
    private final Map<Kind, Long> counts = new EnumMap<>(Kind.class);
    private final ArrayDeque<Error> recent = new ArrayDeque<>();

    public ReplicaErrors(int index) { this.index = index; }

    /** Reports an error: counted, kept, and logged on stderr. */
    public void report(Kind kind, String message, Throwable cause) {
        String text = cause == null ? message : message + ": " + cause;
        synchronized (this) {
            counts.merge(kind, 1L, Long::sum);
            recent.addLast(new Error(kind, text));
            if (recent.size() > KEPT) recent.removeFirst();
        }
        System.err.println("replica " + index + ": ERROR [" + kind + "]: " + text);
        if (cause != null && kind == Kind.HANDLER_EXCEPTION) cause.printStackTrace(System.err);
    }

    /** Errors so far, by kind. */
    public synchronized Map<Kind, Long> counts() { return new EnumMap<>(counts); }

    /** The latest errors, oldest first. */
    public synchronized List<Error> recent() { return new ArrayList<>(recent); }

    /** Number of errors reported. */
    public synchronized long total() { return counts.values().stream().mapToLong(Long::longValue).sum(); }
}
