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
import java.util.concurrent.atomic.AtomicLong;

/**
 * The physical limit of a topology: a closed-loop echo of request-sized frames between two
 * hosts over the same transport stack as the replicas (Netty UDP, the wire codec). No
 * replicated protocol through that server can beat it.
 */
final class UdpEcho {
    private UdpEcho() {}

    /**
     * Echo throughput (round trips per second) with {@code outstanding} frames in flight, the
     * server's and the client's event loops pinned to CPU sets (null: not pinned).
     */
    static double measure(NetNamespace serverNs, InetSocketAddress serverAddr, CpuSet serverCpus, NetNamespace clientNs,
                          CpuSet clientCpus, int outstanding, Duration warmup, Duration duration, int valueSize) throws Exception {
        UdpEndpoint[] server = new UdpEndpoint[1];
        server[0] = serverNs.call(() -> UdpEndpoint.bind(serverAddr, "echo-server", (from, frame) ->
                server[0].send(from, frame.type(), frame.body(), frame.meta())));
        if (serverCpus != null) server[0].eventLoop().submit(() -> Affinity.pinCurrentThread(serverCpus)).get(5, TimeUnit.SECONDS);
        AtomicLong echoes = new AtomicLong();
        RequestMessage msg = RequestMessage.newBuilder().setReq(Request.newBuilder()
                .setOp(ByteString.copyFrom(new byte[valueSize + 8])).setClientid(1).setClientreqid(1)).build();
        UdpEndpoint[] client = new UdpEndpoint[1];
        client[0] = clientNs.call(() -> UdpEndpoint.bind(new InetSocketAddress(0), "echo-client", (from, frame) -> {
            echoes.incrementAndGet();
            client[0].send(serverAddr, MessageType.REQUEST, msg, FastMeta.ZERO);
        }));
        if (clientCpus != null) client[0].eventLoop().submit(() -> Affinity.pinCurrentThread(clientCpus)).get(5, TimeUnit.SECONDS);
        try {
            client[0].eventLoop().submit(() -> {
                for (int i = 0; i < outstanding; i++) client[0].send(serverAddr, MessageType.REQUEST, msg, FastMeta.ZERO);
                client[0].flush();
            }).get(5, TimeUnit.SECONDS);
            Thread.sleep(warmup.toMillis());
            long before = echoes.get();
            long t0 = System.nanoTime();
            Thread.sleep(duration.toMillis());
            long n = echoes.get() - before;
            return n / ((System.nanoTime() - t0) / 1e9);
        } finally {
            client[0].close();
            server[0].close();
        }
    }

}
