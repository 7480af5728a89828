package dev.electrode.loopback;

import dev.electrode.transport.UdpEndpoint;
import dev.electrode.wire.FastMeta;
import dev.electrode.wire.Frame;
import dev.electrode.wire.MessageType;
import dev.electrode.wire.proto.PrepareOKMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A kernel-built acknowledgement over a real socket: a receiver that takes it by its fields
 * gets them (and no frame); one that does not gets the same acknowledgement as a frame.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class KernelAckDeliveryTest {
    private static final InetSocketAddress ANY_LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private static final PrepareOKMessage ACK = PrepareOKMessage.newBuilder().setView(5).setOpnum(1234).setReplicaIdx(2).build();
    private static final FastMeta META = new FastMeta(5, 1234, 0x4000_0006);

    private static void sendAck(InetSocketAddress to) throws InterruptedException {
        try (UdpEndpoint sender = UdpEndpoint.bind(ANY_LOOPBACK, "ack-sender", (from, frame) -> { })) {
            sender.eventLoop().submit(() -> {
                sender.send(to, MessageType.MY_PREPARE_OK, ACK, META);
                sender.flush();
            }).await(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void aReceiverThatTakesFieldsGetsFields() throws Exception {
        LinkedBlockingQueue<List<Object>> fields = new LinkedBlockingQueue<>();
        LinkedBlockingQueue<Frame> frames = new LinkedBlockingQueue<>();
        UdpEndpoint.Receiver receiver = new UdpEndpoint.Receiver() {
            @Override public void onFrame(InetSocketAddress from, Frame frame) { frames.add(frame); }

            @Override public void onKernelAck(InetSocketAddress from, MessageType type, long epoch, long index, int sender,
                                              int metaA, int metaB, int metaC) {
                fields.add(List.of(from.getAddress(), type, epoch, index, sender, metaA, metaB, metaC));
            }
        };
        try (UdpEndpoint ep = UdpEndpoint.bind(ANY_LOOPBACK, "ack-fields", receiver)) {
            sendAck(ep.localAddress());
            List<Object> got = fields.poll(10, TimeUnit.SECONDS);
            assertEquals(List.of(InetAddress.getLoopbackAddress(), MessageType.MY_PREPARE_OK, 5L, 1234L, 2, 5, 1234, 0x4000_0006), got);
            assertTrue(frames.isEmpty(), "no frame was built");
            assertEquals(1, ep.codecStats().decoded(MessageType.MY_PREPARE_OK));
        }
    }

    @Test
    void aReceiverThatTakesFramesGetsTheSameAckAsAFrame() throws Exception {
        LinkedBlockingQueue<Frame> frames = new LinkedBlockingQueue<>();
        try (UdpEndpoint ep = UdpEndpoint.bind(ANY_LOOPBACK, "ack-frames", (from, frame) -> frames.add(frame))) {
            sendAck(ep.localAddress());
            assertEquals(new Frame(MessageType.MY_PREPARE_OK, ACK, META), frames.poll(10, TimeUnit.SECONDS));
        }
    }
}
