package dev.electrode.loopback;

import com.google.protobuf.ByteString;
import dev.electrode.app.KvOps;
import dev.electrode.app.KvStore;
import dev.electrode.app.proto.KvResult;
import dev.electrode.client.ClientOptions;
import dev.electrode.client.VrClient;
import dev.electrode.config.ClusterConfig;
import dev.electrode.launch.LocalCluster;
import dev.electrode.server.ReplicaServer;
import dev.electrode.transport.UdpEndpoint;
import dev.electrode.vr.VrSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** The same cluster behaviour over the NIO fallback transport and with a prototype-style client. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TransportVariantsTest {
    private static void runCluster(ClientOptions clientOptions, int ops) throws Exception {
        ClusterConfig config = new ClusterConfig(1, LocalCluster.freeLoopbackPorts(3));
        List<ReplicaServer> servers = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) servers.add(ReplicaServer.start(config, i, InJvmClusterTest.FAST, new KvStore(), false));
            try (VrClient client = VrClient.connect(config, clientOptions)) {
                VrClient.Session s = client.newSession();
                for (int i = 0; i < ops; i++) {
                    KvResult r = KvOps.result(s.invokeSync(KvOps.put("k" + i, "v" + i)));
                    assertEquals(KvResult.Status.OK, r.getStatus());
                }
                assertEquals("v" + (ops - 1), KvOps.result(s.invokeSync(KvOps.get("k" + (ops - 1)))).getValue().toStringUtf8());
            }
            long ignored = servers.get(1).query(v -> v.stats().requestsIgnoredNotLeader);
            if (clientOptions.sendToAll()) assertTrue(ignored >= ops, "followers saw and ignored every request: " + ignored);
        } finally {
            servers.forEach(ReplicaServer::close);
        }
    }

    @Test
    void nioFallbackTransport() throws Exception {
        System.setProperty(UdpEndpoint.FORCE_NIO_PROPERTY, "true");
        try {
            assertFalse(UdpEndpoint.epollAvailable());
            runCluster(ClientOptions.DEFAULT, 200);
        } finally {
            System.clearProperty(UdpEndpoint.FORCE_NIO_PROPERTY);
        }
    }

    @Test
    void epollIsUsedOnLinux() {
        assertTrue(UdpEndpoint.epollAvailable(), "the epoll native transport must load on this Linux machine");
    }

    @Test
    void clientThatSendsEveryRequestToAllReplicasLikeThePrototype() throws Exception {
        runCluster(ClientOptions.DEFAULT.withSendToAll(true), 200);
    }

    @Test
    void largeValuesAreFragmentedAndReassembled() throws Exception {
        ClusterConfig config = new ClusterConfig(1, LocalCluster.freeLoopbackPorts(3));
        List<ReplicaServer> servers = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) servers.add(ReplicaServer.start(config, i, InJvmClusterTest.FAST, new KvStore(), false));
            try (VrClient client = VrClient.connect(config, ClientOptions.DEFAULT)) {
                ByteString big = ByteString.copyFrom(new byte[100_000]);
                VrClient.Session s = client.newSession();
                assertEquals(KvResult.Status.OK, KvOps.result(s.invokeSync(KvOps.put(ByteString.copyFromUtf8("big"), big))).getStatus());
                assertEquals(big, KvOps.result(s.invokeSync(KvOps.get("big"))).getValue());
            }
            assertTrue(servers.get(0).endpoint().stats().messagesFragmented > 0, "the leader fragmented the Prepare and the reply");
        } finally {
            servers.forEach(ReplicaServer::close);
        }
    }
}
