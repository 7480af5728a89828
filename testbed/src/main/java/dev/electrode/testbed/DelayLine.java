package dev.electrode.testbed;

import dev.electrode.netns.Links;
import dev.electrode.netns.NetNamespace;
import dev.electrode.netns.Tap;

import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Delay and reordering without netem: DELAY rules of the fault layer redirect frames out of
 * the TAP "dlyin"; this class reads them, holds each for the delay plus a random jitter
 * (so frames overtake each other), and writes them into the TAP "dlyout", a bridge port
 * with learning and flooding off, from where the bridge forwards them to their destination.
 */
public final class DelayLine implements AutoCloseable {
    static final String IN = "dlyin", OUT = "dlyout";

    private final Tap in;
    private final Tap out;
    private final Thread reader;
    private final ScheduledExecutorService releaser = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "delay-line-release");
        t.setDaemon(true);
        return t;
    });
    private final Random random;
    private final long delayMicros;
    private final long jitterMicros;
    private volatile boolean running = true;
    private volatile long delayed;

    DelayLine(NetNamespace sw, String bridge, long delayMicros, long jitterMicros, long seed) {
        if (delayMicros < 0 || jitterMicros < 0) throw new IllegalArgumentException("negative delay");
        this.delayMicros = delayMicros;
        this.jitterMicros = jitterMicros;
        this.random = new Random(seed);
        this.in = sw.call(() -> Tap.create(IN));
        this.out = sw.call(() -> Tap.create(OUT));
        // The devices' own IPv6 chatter (MLD, router solicitations) must not enter the line.
        sw.run(() -> {
            for (String dev : new String[] {IN, OUT})
                java.nio.file.Files.writeString(java.nio.file.Path.of("/proc/sys/net/ipv6/conf", dev, "disable_ipv6"), "1");
        });
        Links.up(sw, IN);
        Links.attachToBridge(sw, OUT, bridge);
        // Re-injected frames carry their sender's MAC: the bridge must not learn it on this port,
        // and must not flood other traffic into it.
        sw.ip("link", "set", "dev", OUT, "type", "bridge_slave", "learning", "off", "flood", "off", "mcast_flood", "off", "bcast_flood", "off");
        Links.up(sw, OUT);
        this.reader = new Thread(this::readLoop, "delay-line-read");
        reader.setDaemon(true);
        reader.start();
    }

    /** ifindex of the input device inside the switch namespace. */
    int inputIfindex(NetNamespace sw) { return sw.ifindex(IN); }

    /** Frames delayed so far. */
    public long delayed() { return delayed; }

    private void readLoop() {
        while (running) {
            byte[] frame = in.read(100);
            if (frame == null) continue;
            long hold = delayMicros + (jitterMicros > 0 ? (long) (random.nextDouble() * jitterMicros) : 0);
            delayed++;
            try {
                releaser.schedule(() -> {
                    if (running) out.write(frame);
                }, hold, TimeUnit.MICROSECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                if (running) throw e; // a frame read while close() shut the releaser down is dropped with the line
                return;
            }
        }
    }

    @Override
    public void close() {
        running = false;
        releaser.shutdownNow();
        try {
            reader.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        in.close();
        out.close();
    }
}
