package dev.electrode.client;

import com.google.protobuf.ByteString;
import dev.electrode.app.KvOps;
import org.HdrHistogram.Histogram;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Closed-loop load: {@code sessions} logical clients each keep one KV put in flight; after a
 * warm-up, completed operations and their latencies are recorded for a fixed duration.
 */
public final class LoadGenerator {
    /** What one run measured. */
    public record Result(int sessions, long ops, long timeouts, double seconds, Histogram latencyNanos) {
        public double throughput() { return ops / seconds; }

        public double percentileMicros(double p) { return latencyNanos.getValueAtPercentile(p) / 1000.0; }

        /** One line: throughput and latency percentiles. */
        public String summary() {
            return String.format("%d clients: %.0f ops/s, latency p50 %.0f us, p90 %.0f us, p99 %.0f us, p99.9 %.0f us (%d ops, %d timeouts, %.1f s)",
                    sessions, throughput(), percentileMicros(50), percentileMicros(90), percentileMicros(99),
                    percentileMicros(99.9), ops, timeouts, seconds);
        }
    }

    private LoadGenerator() {}

    /** Runs the workload; each put writes a {@code valueSize}-byte value under one of {@code keys} keys per session. */
    public static Result run(VrClient client, int sessions, Duration warmup, Duration duration, int valueSize, int keys)
            throws InterruptedException {
        Histogram hist = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        AtomicLong ops = new AtomicLong();
        AtomicLong timeouts = new AtomicLong();
        long start = System.nanoTime();
        long measureFrom = start + warmup.toNanos();
        long measureTo = measureFrom + duration.toNanos();
        ByteString value = ByteString.copyFrom(new byte[valueSize]);
        CountDownLatch finished = new CountDownLatch(sessions);
        for (int s = 0; s < sessions; s++) {
            VrClient.Session session = client.newSession();
            int sessionNo = s;
            new Object() {
                long n;

                void next() {
                    if (System.nanoTime() >= measureTo) {
                        finished.countDown();
                        return;
                    }
                    ByteString key = ByteString.copyFromUtf8("s" + sessionNo + "-k" + (n++ % keys));
                    long t0 = System.nanoTime();
                    session.invoke(KvOps.put(key, value)).whenComplete((reply, err) -> {
                        long t1 = System.nanoTime();
                        if (t0 >= measureFrom && t1 <= measureTo) {
                            if (err == null) {
                                synchronized (hist) { hist.recordValue(Math.min(t1 - t0, hist.getHighestTrackableValue())); }
                                ops.incrementAndGet();
                            } else {
                                timeouts.incrementAndGet();
                            }
                        }
                        next();
                    });
                }
            }.next();
        }
        long waitMs = warmup.toMillis() + duration.toMillis() + 15_000;
        if (!finished.await(waitMs, TimeUnit.MILLISECONDS))
            throw new IllegalStateException("load sessions did not finish within " + waitMs + " ms");
        return new Result(sessions, ops.get(), timeouts.get(), duration.toNanos() / 1e9, hist);
    }
}
