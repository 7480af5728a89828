package dev.electrode.testbed.check;

import com.google.protobuf.ByteString;

/**
 * One completed (or indeterminate) operation of a KV history: what a client asked and what it
 * was told, with the monotonic times of invocation and completion.
 *
 * @param id        unique within the history
 * @param process   the logical client that issued it (one operation at a time per process)
 * @param kind      put, get, delete or cas
 * @param key       the key
 * @param value     put and cas: the value written; otherwise null
 * @param expected  cas: the value it expects, null with {@code expectAbsent}
 * @param expectAbsent cas: it expects the key to be absent
 * @param outcome   what the client learned; {@link Outcome#UNKNOWN} if it timed out (the
 *                  operation may or may not have taken effect)
 * @param invokeNanos   when the client sent it
 * @param completeNanos when the client got the answer; {@link Long#MAX_VALUE} if indeterminate
 */
public record KvOperation(long id, int process, Kind kind, ByteString key, ByteString value, ByteString expected,
                          boolean expectAbsent, Outcome outcome, long invokeNanos, long completeNanos) {
    /** The operations of the KV store. */
    public enum Kind { PUT, GET, DELETE, CAS }

    /**
     * What the store answered: whether the key held a value and which ({@code put}, {@code delete}:
     * the previous value; {@code get}: the value; {@code cas}: the value after the operation), and
     * for cas whether it applied.
     */
    public record Outcome(boolean known, boolean hadValue, ByteString value, boolean casApplied) {
        /** A timed-out operation: indeterminate. */
        public static final Outcome UNKNOWN = new Outcome(false, false, null, false);

        public static Outcome absent() { return new Outcome(true, false, null, false); }

        public static Outcome of(ByteString v) { return new Outcome(true, true, v, false); }

        public static Outcome cas(boolean applied, ByteString current) {
            return new Outcome(true, current != null, current, applied);
        }

        @Override
        public String toString() {
            if (!known) return "?";
            String v = hadValue ? "'" + value.toStringUtf8() + "'" : "absent";
            return casApplied ? "applied " + v : v;
        }
    }

    public KvOperation {
        if (completeNanos < invokeNanos) throw new IllegalArgumentException("operation " + id + " completes before it is invoked");
        if (!outcome.known() && completeNanos != Long.MAX_VALUE)
            throw new IllegalArgumentException("indeterminate operation " + id + " must complete at Long.MAX_VALUE");
    }

    /** True if the client knows the result. */
    public boolean determinate() { return outcome.known(); }

    /** One line for reports: {@code p3 put k='v' -> absent [1200..1450 us]}. */
    public String describe(long originNanos) {
        String args = switch (kind) {
            case PUT -> " '" + value.toStringUtf8() + "'";
            case GET, DELETE -> "";
            case CAS -> (expectAbsent ? " absent" : " '" + expected.toStringUtf8() + "'") + " -> '" + value.toStringUtf8() + "'";
        };
        String end = completeNanos == Long.MAX_VALUE ? "?" : Long.toString((completeNanos - originNanos) / 1000);
        return String.format("op %d p%d %s %s%s => %s [%d..%s us]", id, process, kind.name().toLowerCase(), key.toStringUtf8(), args,
                outcome, (invokeNanos - originNanos) / 1000, end);
    }
}
