package dev.electrode.testbed;

import dev.electrode.netns.NetNamespace;
import org.pcap4j.core.PcapDumper;
import org.pcap4j.core.BpfProgram;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNetworkInterface;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A pcap4j capture of one interface inside a namespace, written to a .pcap file. start()
 * returns only once the capture has seen a probe datagram, so traffic that follows is in
 * the file. Uses loop() + breakLoop(), since a blocking read on an idle link never returns.
 */
public final class InterfaceCapture implements AutoCloseable {
    /** UDP port of the start-up probe (discard): captured, but not part of any test's traffic. */
    public static final int PROBE_PORT = 9;
    /** Bytes kept per frame: all of a frame on the testbed's 1500-byte-MTU links. */
    public static final int SNAPLEN = 2048;

    private final PcapHandle handle;
    private final PcapDumper dumper;
    private final Thread loop;
    private final Path file;
    private final AtomicLong packets = new AtomicLong();
    private final AtomicLong loopRestarts = new AtomicLong();
    private volatile Throwable failure;
    private volatile boolean closed;

    private InterfaceCapture(PcapHandle handle, PcapDumper dumper, Path file) {
        this.handle = handle;
        this.dumper = dumper;
        this.file = file;
        CountDownLatch started = new CountDownLatch(1);
        this.loop = new Thread(() -> {
            started.countDown();
            org.pcap4j.core.RawPacketListener listener = raw -> {
                try {
                    synchronized (dumper) {
                        dumper.dumpRaw(raw, handle.getTimestamp());
                    }
                    packets.incrementAndGet();
                } catch (Exception e) {
                    failure = e;
                }
            };
            // pcap_loop can return before breakLoop(); while the capture is open, go on looping.
            while (!closed) {
                try {
                    handle.loop(-1, listener);
                } catch (InterruptedException e) {
                    if (closed) break; // breakLoop(): the capture is over
                } catch (Exception e) {
                    failure = e;
                    if (closed) break;
                }
                if (!closed) loopRestarts.incrementAndGet();
            }
        }, "capture-" + file.getFileName());
        loop.setDaemon(true);
        loop.start();
        try {
            started.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Starts capturing {@code ifname} in {@code ns} into {@code file}, and waits until a probe
     * datagram sent from {@code ns} to {@code broadcast} has been captured.
     */
    public static InterfaceCapture start(NetNamespace ns, String ifname, Path file, InetAddress broadcast) {
        return start(ns, ifname, file, ns, broadcast);
    }

    /** As above, with the probe sent from {@code probeFrom} (a namespace whose traffic crosses the interface). */
    public static InterfaceCapture start(NetNamespace ns, String ifname, Path file, NetNamespace probeFrom, InetAddress broadcast) {
        return start(ns, ifname, file, probeFrom, broadcast, "");
    }

    /** As above, keeping only frames that match the pcap filter {@code filter} (empty: all), and the probe. */
    public static InterfaceCapture start(NetNamespace ns, String ifname, Path file, NetNamespace probeFrom, InetAddress broadcast,
                                         String filter) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            // The ring holds bufferSize / snaplen frames: a 64 kB snaplen left room for ~120 and the kernel
            // dropped frames while the capture thread waited for a core. Testbed links have a 1500-byte MTU.
            PcapHandle h = ns.call(() -> new PcapHandle.Builder(ifname).snaplen(SNAPLEN)
                    .promiscuousMode(PcapNetworkInterface.PromiscuousMode.PROMISCUOUS)
                    .timeoutMillis(20).immediateMode(true).bufferSize(16 << 20).build());
            if (!filter.isBlank()) h.setFilter("(udp port " + PROBE_PORT + ") or (" + filter + ")", BpfProgram.BpfCompileMode.OPTIMIZE);
            PcapDumper d = h.dumpOpen(file.toString());
            InterfaceCapture c = new InterfaceCapture(h, d, file);
            c.confirmRunning(probeFrom, broadcast);
            return c;
        } catch (TestbedException e) {
            throw e;
        } catch (Exception e) {
            throw new TestbedException("cannot capture " + ifname + " in " + ns.name() + " (libpcap installed? run ci/setup-host.sh): " + e, e);
        }
    }

    private void confirmRunning(NetNamespace ns, InetAddress broadcast) throws Exception {
        long deadline = System.nanoTime() + TestbedEnv.patience(Duration.ofSeconds(10)).toNanos();
        try (DatagramSocket s = ns.call(() -> {
            DatagramSocket sock = new DatagramSocket();
            sock.setBroadcast(true);
            return sock;
        })) {
            byte[] probe = "electrode-testbed capture probe".getBytes();
            while (packets.get() == 0) {
                if (failure != null) throw new TestbedException("capture of " + file + " failed: " + failure, failure);
                if (System.nanoTime() > deadline) throw new TestbedException("capture of " + file + " saw nothing within 10 s");
                ns.run(() -> s.send(new DatagramPacket(probe, probe.length, broadcast, PROBE_PORT)));
                Thread.sleep(20);
            }
        }
    }

    /** The .pcap file. */
    public Path file() { return file; }

    /** Frames captured so far. */
    public long packets() { return packets.get(); }

    /** Frames the kernel dropped before this capture could read them (0 if unknown). */
    public long dropped() {
        try {
            var st = handle.getStats();
            return st.getNumPacketsDropped() + st.getNumPacketsDroppedByIf();
        } catch (Exception e) {
            return 0;
        }
    }

    /** A line for failure reports: frames captured, frames the kernel dropped, loop restarts, last error. */
    public String diagnostics() {
        String drops;
        try {
            var st = handle.getStats();
            drops = st.getNumPacketsDropped() + " dropped by the kernel, " + st.getNumPacketsDroppedByIf() + " by the interface";
        } catch (Exception e) {
            drops = "no stats (" + e.getMessage() + ")";
        }
        return file.getFileName() + ": " + packets.get() + " frames, " + drops + ", loop restarts " + loopRestarts.get()
                + ", thread " + (loop.isAlive() ? "alive" : "dead") + (failure == null ? "" : ", last error " + failure);
    }

    /** Writes buffered frames to the file, so it can be read while the capture goes on. */
    public void flush() {
        try {
            synchronized (dumper) {
                dumper.flush();
            }
        } catch (Exception e) {
            throw new TestbedException("flush of " + file + " failed: " + e, e);
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            handle.breakLoop();
            loop.join(TimeUnit.SECONDS.toMillis(5));
        } catch (Exception e) {
            // closing anyway
        } finally {
            synchronized (dumper) {
                dumper.close();
            }
            handle.close();
        }
    }
}
