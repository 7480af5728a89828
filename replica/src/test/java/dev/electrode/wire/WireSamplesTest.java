package dev.electrode.wire;

import dev.electrode.wire.proto.PrepareMessage;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** Every datagram the reference prototype put on the wire decodes and re-encodes identically. */
class WireSamplesTest {
    /** The reference prototype's captures, copied from shared/wire-samples into the test resources. */
    static Path samplesDir() throws IOException {
        var url = WireSamplesTest.class.getResource("/wire-samples/README.md");
        assertNotNull(url, "wire samples missing from the test resources");
        try {
            return Path.of(url.toURI()).getParent();
        } catch (java.net.URISyntaxException e) {
            throw new IOException(e);
        }
    }

    @Test
    void everyCapturedPayloadRoundTrips() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(samplesDir())) {
            files = s.filter(p -> p.toString().endsWith(".pcap")).sorted().toList();
        }
        assertEquals(9, files.size(), "expected the nine reference captures");
        Map<MessageType, Integer> seen = new EnumMap<>(MessageType.class);
        int total = 0;
        for (Path file : files) {
            for (PcapReader.UdpDatagram d : PcapReader.udpDatagrams(file)) {
                DecodeResult r = FrameDecoder.decodeStandalone(ByteBuffer.wrap(d.payload()));
                Frame f = assertInstanceOf(DecodeResult.Decoded.class, r,
                        () -> file.getFileName() + ": " + Bytes.toHex(d.payload())).frame();
                assertArrayEquals(d.payload(), FrameEncoder.encode(f), () -> file.getFileName() + ": re-encode differs for " + f);
                seen.merge(f.type(), 1, Integer::sum);
                total++;
                if (f.type() == MessageType.PREPARE && f.meta().b() != 0) {
                    // A fresh Prepare carries view|bit, lastOp, batchStart; resends carry only the bit.
                    PrepareMessage p = (PrepareMessage) f.body();
                    FastMeta expected = FastMeta.forMessage(MessageType.PREPARE, p);
                    assertEquals(expected.a(), f.meta().a() & ~WireFormat.BROADCAST_BIT);
                    assertEquals(expected.b(), f.meta().b());
                    assertEquals(expected.c(), f.meta().c());
                }
                if (f.type() == MessageType.PREPARE_OK)
                    assertEquals(FastMeta.forMessage(f.type(), f.body()), f.meta());
            }
        }
        assertTrue(total > 100, "too few datagrams: " + total);
        for (MessageType t : List.of(MessageType.REQUEST, MessageType.PREPARE, MessageType.PREPARE_OK,
                MessageType.MY_PREPARE_OK, MessageType.COMMIT, MessageType.REPLY)) {
            assertTrue(seen.getOrDefault(t, 0) > 0, "no " + t + " in the captures: " + seen);
        }
    }
}
