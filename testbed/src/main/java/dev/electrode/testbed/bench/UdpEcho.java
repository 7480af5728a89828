package dev.electrode.testbed.bench;

import dev.electrode.netns.NetNamespace;
import dev.electrode.netns.cpu.Affinity;
import dev.electrode.netns.cpu.CpuSet;
import dev.electrode.transport.UdpEndpoint;
import dev.electrode.wire.FastMeta;
import dev.electrode.wire.MessageType;
import dev.electrode.wire.proto.Request;
import dev.electrode.wire.proto.RequestMessage;
import com.google.protobuf.ByteString;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * The physical limit of a topology: a closed-loop echo of request-sized frames between two
 * hosts over the same transport stack as the replicas (Netty UDP, the wire codec). No
 * replicated protocol through that server can beat it.
 */
final class UdpEcho {
    private UdpEcho() {}

    /** What an echo measurement found: round trips per second, and each round trip's time. */
    record Result(double roundTripsPerSecond, Histogram rttNanos) {
        double rttMicros(double percentile) { return rttNanos.getValueAtPercentile(percentile) / 1000.0; }
    }

    /**
     * Echo throughput and round-trip times with {@code outstanding} frames in flight, the
     * server's and the client's event loops pinned to CPU sets (null: not pinned). Each frame
     * carries its send time, so a round trip is timed from the frame itself.
     */
    static Result measure(NetNamespace serverNs, InetSocketAddress serverAddr, CpuSet serverCpus, NetNamespace clientNs,
                          CpuSet clientCpus, int outstanding, Duration warmup, Duration duration, int valueSize) throws Exception {
        UdpEndpoint[] server = new UdpEndpoint[1];
        server[0] = serverNs.call(() -> UdpEndpoint.bind(serverAddr, "echo-server", (from, frame) ->
                server[0].send(from, frame.type(), frame.body(), frame.meta())));
        if (serverCpus != null) server[0].eventLoop().submit(() -> Affinity.pinCurrentThread(serverCpus)).get(5, TimeUnit.SECONDS);
        AtomicLong echoes = new AtomicLong();
        Histogram rtt = new Histogram(TimeUnit.SECONDS.toNanos(10), 3); // the client's event loop alone records
        AtomicBoolean recording = new AtomicBoolean();
        ByteString op = ByteString.copyFrom(new byte[valueSize + 8]);
        UdpEndpoint[] client = new UdpEndpoint[1];
        client[0] = clientNs.call(() -> UdpEndpoint.bind(new InetSocketAddress(0), "echo-client", (from, frame) -> {
            long now = System.nanoTime();
            if (recording.get() && frame.body() instanceof RequestMessage m) rtt.recordValue(Math.max(0, now - m.getReq().getClientreqid()));
            echoes.incrementAndGet();
            client[0].send(serverAddr, MessageType.REQUEST, request(op, now), FastMeta.ZERO);
        }));
        if (clientCpus != null) client[0].eventLoop().submit(() -> Affinity.pinCurrentThread(clientCpus)).get(5, TimeUnit.SECONDS);
        try {
            client[0].eventLoop().submit(() -> {
                for (int i = 0; i < outstanding; i++) client[0].send(serverAddr, MessageType.REQUEST, request(op, System.nanoTime()), FastMeta.ZERO);
                client[0].flush();
            }).get(5, TimeUnit.SECONDS);
            Thread.sleep(warmup.toMillis());
            client[0].eventLoop().submit(() -> recording.set(true)).get(5, TimeUnit.SECONDS);
            long before = echoes.get();
            long t0 = System.nanoTime();
            Thread.sleep(duration.toMillis());
            long n = echoes.get() - before;
            double perSecond = n / ((System.nanoTime() - t0) / 1e9);
            // Stop recording on the loop that records, so the histogram is read after its last write.
            Histogram copy = client[0].eventLoop().submit(() -> {
                recording.set(false);
                return rtt.copy();
            }).get(5, TimeUnit.SECONDS);
            return new Result(perSecond, copy);
        } finally {
            client[0].close();
            server[0].close();
        }
    }

    /** A request-sized frame stamped with its send time. */
    private static RequestMessage request(ByteString op, long sentNanos) {
        return RequestMessage.newBuilder().setReq(Request.newBuilder().setOp(op).setClientid(1).setClientreqid(sentNanos)).build();
    }
}
