package dev.electrode.wire;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads the UDP payloads of an Ethernet/IPv4 classic pcap file (test fixture reader). */
final class PcapReader {
    record UdpDatagram(int srcPort, int dstPort, byte[] payload) {}

    private PcapReader() {}

    static List<UdpDatagram> udpDatagrams(Path file) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(file));
        int magic = buf.order(ByteOrder.LITTLE_ENDIAN).getInt(0);
        if (magic != 0xa1b2c3d4) buf.order(ByteOrder.BIG_ENDIAN);
        if (buf.getInt(0) != 0xa1b2c3d4) throw new IOException(file + ": not a microsecond pcap file");
        if (buf.getInt(20) != 1) throw new IOException(file + ": link type is not Ethernet");
        buf.position(24);
        List<UdpDatagram> out = new ArrayList<>();
        while (buf.remaining() >= 16) {
            buf.getInt(); buf.getInt(); // timestamp
            int caplen = buf.getInt();
            int origlen = buf.getInt();
            if (caplen != origlen) throw new IOException(file + ": truncated capture record");
            ByteBuffer pkt = buf.slice(buf.position(), caplen).order(ByteOrder.BIG_ENDIAN);
            buf.position(buf.position() + caplen);
            if (pkt.getShort(12) != 0x0800) continue; // not IPv4
            int ihl = (pkt.get(14) & 0x0f) * 4;
            if (pkt.get(14 + 9) != 17) continue; // not UDP
            int udp = 14 + ihl;
            int srcPort = pkt.getShort(udp) & 0xffff;
            int dstPort = pkt.getShort(udp + 2) & 0xffff;
            int udpLen = pkt.getShort(udp + 4) & 0xffff;
            byte[] payload = new byte[udpLen - 8];
            pkt.get(udp + 8, payload);
            out.add(new UdpDatagram(srcPort, dstPort, payload));
        }
        return out;
    }
}
