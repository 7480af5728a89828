package dev.electrode.capture;

import dev.electrode.wire.DecodeError;

import java.net.Inet4Address;

/** One UDP datagram of a capture that carries the wire format's magic, as the codec saw it. */
public sealed interface CapturedDatagram {
    /** Capture time in microseconds since the epoch. */
    long timeMicros();

    /** The number of the (last) packet that carried it in the file, from 1, as Wireshark numbers frames. */
    int packet();

    /** An unfragmented message. */
    record Message(int packet, WireFrame frame) implements CapturedDatagram {
        public long timeMicros() { return frame.timeMicros(); }
    }

    /** One fragment; {@code completed} is the reassembled message when this fragment finished it, else null. */
    record Fragment(int packet, long timeMicros, Inet4Address src, int srcPort, Inet4Address dst, int dstPort, long messageId, long start,
                    int length, long total, WireFrame completed) implements CapturedDatagram {}

    /** A datagram the codec refused, with the reason a replica would count. */
    record Rejected(int packet, long timeMicros, Inet4Address src, int srcPort, Inet4Address dst, int dstPort, DecodeError error)
            implements CapturedDatagram {}
}
