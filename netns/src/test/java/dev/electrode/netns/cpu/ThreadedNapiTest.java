package dev.electrode.netns.cpu;

import dev.electrode.netns.RootRequired;
import dev.electrode.netns.StarTopology;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ThreadedNapiTest {
    @BeforeEach
    void root() { RootRequired.assumeRoot(); }

    @Test
    void pinnedThreadsRunWhereTheyArePinned() throws Exception {
        CpuSet last = CpuSet.parse(Integer.toString(CpuSet.online().last()));
        // The check runs here, on what the pinned thread saw: a failure inside it would not reach JUnit.
        java.util.concurrent.CompletableFuture<CpuSet> seen = new java.util.concurrent.CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                Affinity.pinCurrentThread(last);
                seen.complete(Affinity.of(0));
            } catch (Throwable e) {
                seen.completeExceptionally(e);
            }
        });
        t.start();
        assertEquals(last, seen.get(10, java.util.concurrent.TimeUnit.SECONDS), "the pinned thread's own affinity");
        t.join();
        assertEquals(CpuSet.online(), Affinity.of(0), "pinning another thread left this one alone");
        assertThrows(RuntimeException.class, () -> Affinity.pin(0, CpuSet.parse("4000")));
    }

    @Test
    void receiveWorkRunsInThePinnedNapiThread() throws Exception {
        CpuSet receiverCpus = CpuSet.parse(Integer.toString(CpuSet.online().last()));
        try (StarTopology t = StarTopology.create("napi", 2, "10.219.3")) {
            var a = t.host(0);
            var b = t.host(1);
            List<Integer> tids = ThreadedNapi.enable(b.ns(), b.ifname(), t.switchNamespace(), b.switchPort());
            assertFalse(tids.isEmpty());
            for (int tid : tids) {
                Affinity.pin(tid, receiverCpus);
                assertEquals(receiverCpus, Affinity.of(tid));
            }
            long before = tids.stream().mapToLong(CpuTime::threadNanos).sum();
            int count = 20_000;
            try (DatagramSocket rx = b.ns().call(() -> new DatagramSocket(new InetSocketAddress(b.address(), 5000)));
                 DatagramSocket tx = a.ns().call(() -> new DatagramSocket())) {
                rx.setReceiveBufferSize(8 << 20);
                rx.setSoTimeout(2000);
                // Received datagrams, or the receiver's failure: checked on the test thread after the sends.
                java.util.concurrent.CompletableFuture<Integer> received = new java.util.concurrent.CompletableFuture<>();
                Thread receiver = new Thread(() -> {
                    int got = 0;
                    try {
                        for (; got < count; got++) rx.receive(new DatagramPacket(new byte[64], 64));
                        received.complete(got);
                    } catch (java.net.SocketTimeoutException e) {
                        received.complete(got); // the rest was dropped somewhere: counted below
                    } catch (Throwable e) {
                        received.completeExceptionally(e);
                    }
                });
                receiver.start();
                a.ns().run(() -> {
                    for (int i = 0; i < count; i++) {
                        tx.send(new DatagramPacket(new byte[32], 32, new InetSocketAddress(b.address(), 5000)));
                        if (i % 256 == 0) Thread.sleep(1); // let the receiver keep up: this test is about where work runs
                    }
                });
                int got = received.get(60, java.util.concurrent.TimeUnit.SECONDS);
                receiver.join();
                // Drops at the receiver's socket buffer are possible under load; most must arrive for the CPU figure to mean anything.
                assertTrue(got >= count * 9 / 10, "received " + got + " of " + count + " datagrams");
            }
            long napiNanos = tids.stream().mapToLong(CpuTime::threadNanos).sum() - before;
            // Each datagram's receive path costs well over 100 ns; it ran in the NAPI thread, not the sender's softirq.
            assertTrue(napiNanos > count * 100L, "NAPI threads ran " + napiNanos + " ns for " + count + " datagrams");
            ThreadedNapi.disable(b.ns(), b.ifname());
        }
    }
}
