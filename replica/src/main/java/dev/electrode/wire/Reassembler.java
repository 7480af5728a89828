package dev.electrode.wire;

import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Rebuilds messages from fragments, per sender, within fixed memory bounds. Fragments may
 * arrive in any order and more than once; a partial message expires after a timeout.
 *
 * <p>Memory follows the bytes that arrived, never the size a fragment claims: each fragment is
 * kept as its own piece until the last one arrives, and only then is the whole message
 * allocated. Every partial message and piece is charged a fixed overhead besides its bytes, so
 * the bounds hold however many message ids or tiny fragments a sender invents. A sender over
 * its budget loses its oldest partial messages first; when all senders together are over the
 * total budget, the least recently active sender loses its oldest. Single-threaded.
 */
public final class Reassembler {
    /** Bytes charged for each partial message besides its pieces (its map entries and bookkeeping). */
    static final int PARTIAL_OVERHEAD = 256;
    /** Bytes charged for each piece besides its data (the piece array and its tree node). */
    static final int PIECE_OVERHEAD = 96;

    /**
     * Bounds on what reassembly may hold. Held memory is at most {@code maxBytesTotal} (plus one
     * message being completed); one sender holds at most {@code maxBytesPerSender}.
     */
    public record Limits(long maxMessageBytes, long maxBytesPerSender, long maxBytesTotal, int maxSenders, long timeoutNanos) {
        /** 32 MiB messages, 32 MiB per sender, 64 MiB in all, 1024 senders, 5 s. */
        public static final Limits DEFAULT = new Limits(32L << 20, 32L << 20, 64L << 20, 1024, 5_000_000_000L);

        public Limits {
            if (maxMessageBytes <= 0 || maxBytesPerSender < maxMessageBytes || maxBytesTotal < maxBytesPerSender || maxSenders <= 0
                    || timeoutNanos <= 0)
                throw new IllegalArgumentException("invalid reassembly limits: " + this);
        }
    }

    private static final class Partial {
        final long id;
        final long total;
        final TreeMap<Long, byte[]> pieces = new TreeMap<>(); // start -> bytes
        long received;
        long charged = PARTIAL_OVERHEAD;
        final long startedNanos;

        Partial(long id, long total, long now) {
            this.id = id;
            this.total = total;
            this.startedNanos = now;
        }
    }

    private static final class Sender {
        final LinkedHashMap<Long, Partial> partials = new LinkedHashMap<>(); // by id, oldest first
        long bytes;

        Partial oldest() { return partials.values().iterator().next(); }
    }

    /** Result of offering one fragment: a completed message (without magic), or null and an error. */
    public record Offer(ByteBuffer message, DecodeError error) {}

    private static final Offer STORED = new Offer(null, null);

    private final Limits limits;
    private final CodecStats stats;
    private final LinkedHashMap<Object, Sender> senders = new LinkedHashMap<>(16, 0.75f, true); // least recent first
    private long bytesHeld;
    private long lastExpiry = Long.MIN_VALUE / 2;

    public Reassembler(Limits limits, CodecStats stats) {
        this.limits = limits;
        this.stats = stats;
    }

    /** Bytes currently charged for partial messages of all senders (data and overhead). */
    public long bytesHeld() { return bytesHeld; }

    /** Number of incomplete messages held. */
    public int pendingMessages() {
        int n = 0;
        for (Sender s : senders.values()) n += s.partials.size();
        return n;
    }

    /** Number of senders with incomplete messages. */
    public int senders() { return senders.size(); }

    /**
     * Takes one fragment (the datagram after its 4 magic bytes is at {@code frag}'s position,
     * little-endian). Returns the complete message once every byte has arrived.
     */
    public Offer offer(Object sender, ByteBuffer frag, long nowNanos) {
        if (frag.remaining() < WireFormat.FRAG_HEADER_LEN - 4) return new Offer(null, DecodeError.BAD_FRAGMENT);
        long id = frag.getLong();
        long start = frag.getLong();
        long total = frag.getLong();
        int len = frag.remaining();
        if (total <= 0 || len == 0 || start < 0 || start >= total || len > total - start)
            return new Offer(null, DecodeError.BAD_FRAGMENT);
        if (total > limits.maxMessageBytes()) return new Offer(null, DecodeError.FRAGMENT_TOO_LARGE);

        expire(nowNanos);
        Sender s = senders.get(sender);
        if (s == null) {
            if (senders.size() >= limits.maxSenders()) evictSender(senders.keySet().iterator().next());
            s = new Sender();
            senders.put(sender, s);
        }
        Partial p = s.partials.get(id);
        if (p == null) {
            p = new Partial(id, total, nowNanos);
            s.partials.put(id, p);
            charge(s, p.charged);
        } else if (p.total != total) {
            drop(sender, s, p);
            return new Offer(null, DecodeError.FRAGMENT_INCONSISTENT);
        }

        long end = start + len;
        Map.Entry<Long, byte[]> below = p.pieces.floorEntry(start);
        if (below != null && below.getKey() == start && below.getValue().length == len)
            return new Offer(null, DecodeError.DUPLICATE_FRAGMENT);
        Map.Entry<Long, byte[]> above = p.pieces.ceilingEntry(start);
        if ((below != null && below.getKey() + below.getValue().length > start) || (above != null && above.getKey() < end)) {
            drop(sender, s, p);
            return new Offer(null, DecodeError.FRAGMENT_OVERLAP);
        }
        byte[] piece = new byte[len];
        frag.get(piece);
        p.pieces.put(start, piece);
        p.received += len;
        p.charged += len + PIECE_OVERHEAD;
        charge(s, len + PIECE_OVERHEAD);
        if (!enforceBudgets(sender, s, p)) return new Offer(null, DecodeError.FRAGMENT_EVICTED);
        if (p.received < p.total) return STORED;

        drop(sender, s, p);
        byte[] whole = new byte[(int) p.total];
        for (Map.Entry<Long, byte[]> e : p.pieces.entrySet())
            System.arraycopy(e.getValue(), 0, whole, (int) (long) e.getKey(), e.getValue().length);
        return new Offer(ByteBuffer.wrap(whole), null);
    }

    /**
     * Evicts oldest partial messages until the sender's and the total budgets hold; returns
     * false if {@code current} itself had to go (it alone exceeds its sender's budget).
     */
    private boolean enforceBudgets(Object sender, Sender s, Partial current) {
        while (s.bytes > limits.maxBytesPerSender()) {
            Partial oldest = s.oldest();
            drop(sender, s, oldest);
            stats.rejected(DecodeError.FRAGMENT_EVICTED);
            if (oldest == current) return false;
        }
        while (bytesHeld > limits.maxBytesTotal()) {
            Object victim = senders.keySet().iterator().next(); // least recently active; the current sender is the most recent
            if (victim == sender && senders.size() == 1) {
                // Only this sender holds anything, and it is within its own budget: cannot happen
                // while maxBytesTotal >= maxBytesPerSender, but never loop.
                break;
            }
            boolean lostCurrent = evictOldestOf(victim) == current;
            if (lostCurrent) return false;
        }
        return true;
    }

    /** Drops the oldest partial message of {@code key}'s sender (counted); returns it. */
    private Partial evictOldestOf(Object key) {
        Sender s = senders.get(key);
        Partial oldest = s.oldest();
        drop(key, s, oldest);
        stats.rejected(DecodeError.FRAGMENT_EVICTED);
        return oldest;
    }

    /** Drops every partial message of the least recently active sender {@code key} (counted). */
    private void evictSender(Object key) {
        Sender s = senders.remove(key);
        stats.rejected(DecodeError.FRAGMENT_EVICTED, s.partials.size());
        bytesHeld -= s.bytes;
    }

    /**
     * Drops partial messages older than the timeout; returns how many. Offers call it at most
     * ten times per timeout period, so its walk over the senders stays off the per-fragment cost.
     */
    public int expire(long nowNanos) {
        if (nowNanos - lastExpiry < limits.timeoutNanos() / 10 && nowNanos >= lastExpiry) return 0;
        lastExpiry = nowNanos;
        int n = 0;
        for (Iterator<Sender> it = senders.values().iterator(); it.hasNext(); ) {
            Sender s = it.next();
            while (!s.partials.isEmpty()) {
                Partial oldest = s.oldest();
                if (nowNanos - oldest.startedNanos < limits.timeoutNanos()) break;
                s.partials.remove(oldest.id);
                charge(s, -oldest.charged);
                n++;
            }
            if (s.partials.isEmpty()) it.remove();
        }
        if (n > 0) stats.rejected(DecodeError.FRAGMENT_EXPIRED, n);
        return n;
    }

    private void charge(Sender s, long bytes) {
        s.bytes += bytes;
        bytesHeld += bytes;
    }

    private void drop(Object key, Sender s, Partial p) {
        s.partials.remove(p.id);
        charge(s, -p.charged);
        if (s.partials.isEmpty()) senders.remove(key);
    }
}
