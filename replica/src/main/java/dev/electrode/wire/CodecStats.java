package dev.electrode.wire;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/** Counts decoded messages and every rejection by reason; safe to read from any thread. */
public final class CodecStats {
    private final AtomicLongArray errors = new AtomicLongArray(DecodeError.values().length);
    private final AtomicLongArray decoded = new AtomicLongArray(MessageType.values().length);

    void rejected(DecodeError e) { errors.incrementAndGet(e.ordinal()); }

    void rejected(DecodeError e, long n) { errors.addAndGet(e.ordinal(), n); }

    void countDecoded(MessageType t) { decoded.incrementAndGet(t.ordinal()); }

    /** Rejections of one reason so far. */
    public long errors(DecodeError e) { return errors.get(e.ordinal()); }

    /** All rejections so far. */
    public long totalErrors() {
        long sum = 0;
        for (int i = 0; i < errors.length(); i++) sum += errors.get(i);
        return sum;
    }

    /** Messages of one type decoded so far. */
    public long decoded(MessageType t) { return decoded.get(t.ordinal()); }

    /** Non-zero rejection counts, for logs and reports. */
    public Map<DecodeError, Long> errorCounts() {
        Map<DecodeError, Long> m = new EnumMap<>(DecodeError.class);
        for (DecodeError e : DecodeError.values()) {
            long v = errors(e);
            if (v != 0) m.put(e, v);
        }
        return m;
    }
}
