package dev.electrode.testbed.check;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.electrode.app.KvOps;
import dev.electrode.app.proto.KvResult;
import dev.electrode.client.RequestTimeoutException;
import dev.electrode.client.VrClient;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Logical clients doing random puts, gets, deletes and compare-and-sets on a few keys (so
 * operations contend), each one operation at a time, all recorded in a {@link HistoryRecorder}.
 * A client whose operation timed out is replaced by a new one (a new session and process id),
 * as in Jepsen: its operation stays indeterminate.
 */
public final class KvWorkload implements AutoCloseable {
    private final VrClient client;
    private final HistoryRecorder history;
    private final int keys;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();
    private final List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
    private volatile int nextProcess;

    /** Starts {@code clients} logical clients over {@code keys} keys, seeded by {@code seed}. */
    public KvWorkload(VrClient client, HistoryRecorder history, int clients, int keys, long seed) {
        this.client = client;
        this.history = history;
        this.keys = keys;
        this.nextProcess = clients;
        for (int c = 0; c < clients; c++) {
            int first = c;
            Random rnd = new Random(seed * 7919 + c);
            Thread t = new Thread(() -> run(first, rnd), "kv-workload-" + c);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    private void run(int process, Random rnd) {
        VrClient.Session session = client.newSession();
        long n = 0;
        try {
            while (!stop.get()) {
                ByteString key = ByteString.copyFromUtf8("k" + rnd.nextInt(keys));
                ByteString value = ByteString.copyFromUtf8("p" + process + "-" + n++);
                int pick = rnd.nextInt(100);
                KvOperation.Kind kind = pick < 35 ? KvOperation.Kind.PUT : pick < 70 ? KvOperation.Kind.GET
                        : pick < 90 ? KvOperation.Kind.CAS : KvOperation.Kind.DELETE;
                ByteString expected = null;
                if (kind == KvOperation.Kind.CAS && rnd.nextInt(4) > 0) {
                    // Mostly a value this client wrote recently on some key, sometimes "absent".
                    expected = ByteString.copyFromUtf8("p" + process + "-" + Math.max(0, n - 1 - rnd.nextInt(3)));
                }
                ByteString op = switch (kind) {
                    case PUT -> KvOps.put(key, value);
                    case GET -> KvOps.get(key);
                    case DELETE -> KvOps.delete(key);
                    case CAS -> KvOps.cas(key, expected, value);
                };
                long id = history.invoke(process, kind, key, kind == KvOperation.Kind.PUT || kind == KvOperation.Kind.CAS ? value : null,
                        expected, kind == KvOperation.Kind.CAS && expected == null);
                try {
                    KvResult r = KvResult.parseFrom(session.invokeSync(op));
                    if (r.getStatus() == KvResult.Status.BAD_REQUEST) history.fail(id, r.getError());
                    else history.ok(id, outcome(kind, r));
                } catch (RequestTimeoutException e) {
                    history.unknown(id, e.getMessage());
                    if (stop.get()) return;
                    process = nextProcess++; // this client is gone; a new one takes its place
                    session = client.newSession();
                } catch (InvalidProtocolBufferException e) {
                    history.unknown(id, "undecodable reply: " + e.getMessage());
                    errors.add(e);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable e) {
            errors.add(e);
        }
    }

    /** What a KvResult tells about the key, for an operation of {@code kind}. */
    public static KvOperation.Outcome outcome(KvOperation.Kind kind, KvResult r) {
        ByteString v = r.getHadValue() ? r.getValue() : null;
        return switch (kind) {
            case PUT, GET, DELETE -> v == null ? KvOperation.Outcome.absent() : KvOperation.Outcome.of(v);
            case CAS -> KvOperation.Outcome.cas(r.getStatus() == KvResult.Status.OK, v);
        };
    }

    /** Unexpected errors of the clients (not timeouts). */
    public List<Throwable> errors() { return List.copyOf(errors); }

    /** Stops the clients; each finishes (or times out) its current operation. */
    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        for (Thread t : threads) t.join(120_000);
    }
}
