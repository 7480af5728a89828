package dev.electrode.testbed.check;

import com.google.protobuf.ByteString;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A KV history as clients live it: every invocation and its end (ok, fail: certainly not
 * applied, or unknown: timed out), with monotonic timestamps, from any number of threads.
 * {@link #history} gives it to the checker (operations still pending count as indeterminate);
 * {@link #write} stores the events as JSON lines.
 */
public final class HistoryRecorder {
    private record Invocation(long id, int process, KvOperation.Kind kind, ByteString key, ByteString value, ByteString expected,
                              boolean expectAbsent, long invokeNanos) {}

    private final long origin = System.nanoTime();
    private final AtomicLong ids = new AtomicLong();
    private final Map<Long, Invocation> pending = new ConcurrentHashMap<>();
    private final List<KvOperation> completed = new ArrayList<>();
    private final List<String> events = new ArrayList<>();
    private long failed;

    /** Records an invocation now; returns its id. */
    public long invoke(int process, KvOperation.Kind kind, ByteString key, ByteString value, ByteString expected, boolean expectAbsent) {
        Invocation inv = new Invocation(ids.getAndIncrement(), process, kind, key, value, expected, expectAbsent, System.nanoTime());
        pending.put(inv.id(), inv);
        StringBuilder sb = new StringBuilder();
        sb.append("{\"time_us\":").append((inv.invokeNanos() - origin) / 1000).append(",\"type\":\"invoke\",\"id\":").append(inv.id())
                .append(",\"process\":").append(process).append(",\"f\":\"").append(kind.name().toLowerCase()).append("\",\"key\":").append(json(key));
        if (value != null) sb.append(",\"value\":").append(json(value));
        if (kind == KvOperation.Kind.CAS) sb.append(",\"expected\":").append(expectAbsent ? "null" : json(expected));
        event(sb.append('}').toString());
        return inv.id();
    }

    /** The operation completed and the client learned {@code outcome}. */
    public void ok(long id, KvOperation.Outcome outcome) {
        long now = System.nanoTime();
        Invocation inv = take(id);
        KvOperation op = new KvOperation(inv.id(), inv.process(), inv.kind(), inv.key(), inv.value(), inv.expected(), inv.expectAbsent(),
                outcome, inv.invokeNanos(), now);
        synchronized (this) {
            completed.add(op);
        }
        event("{\"time_us\":" + (now - origin) / 1000 + ",\"type\":\"ok\",\"id\":" + id + ",\"result\":" + json(outcome) + "}");
    }

    /** The operation certainly did not take effect (the store refused it): it leaves the history. */
    public void fail(long id, String why) {
        long now = System.nanoTime();
        take(id);
        synchronized (this) {
            failed++;
        }
        event("{\"time_us\":" + (now - origin) / 1000 + ",\"type\":\"fail\",\"id\":" + id + ",\"error\":" + json(why) + "}");
    }

    /** The client gave up (a timeout): the operation may or may not have taken effect, at any time after its invocation. */
    public void unknown(long id, String why) {
        long now = System.nanoTime();
        Invocation inv = take(id);
        synchronized (this) {
            completed.add(indeterminate(inv));
        }
        event("{\"time_us\":" + (now - origin) / 1000 + ",\"type\":\"info\",\"id\":" + id + ",\"error\":" + json(why) + "}");
    }

    private Invocation take(long id) {
        Invocation inv = pending.remove(id);
        if (inv == null) throw new IllegalStateException("operation " + id + " is not pending");
        return inv;
    }

    private static KvOperation indeterminate(Invocation inv) {
        return new KvOperation(inv.id(), inv.process(), inv.kind(), inv.key(), inv.value(), inv.expected(), inv.expectAbsent(),
                KvOperation.Outcome.UNKNOWN, inv.invokeNanos(), Long.MAX_VALUE);
    }

    /** Every operation so far; those still pending count as indeterminate. */
    public synchronized List<KvOperation> history() {
        List<KvOperation> h = new ArrayList<>(completed);
        for (Invocation inv : pending.values()) h.add(indeterminate(inv));
        return h;
    }

    /** Operations the store refused (not in {@link #history}). */
    public synchronized long failed() { return failed; }

    /** Writes the events, in the order they were recorded, one JSON object per line. */
    public synchronized void write(Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.write(file, events, StandardCharsets.UTF_8);
    }

    private synchronized void event(String line) { events.add(line); }

    private static String json(KvOperation.Outcome o) {
        if (!o.known()) return "null";
        return "{\"had_value\":" + o.hadValue() + (o.hadValue() ? ",\"value\":" + json(o.value()) : "")
                + (o.casApplied() ? ",\"applied\":true" : "") + "}";
    }

    private static String json(ByteString b) { return json(b.toStringUtf8()); }

    static String json(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                default -> {
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        return sb.append('"').toString();
    }
}
