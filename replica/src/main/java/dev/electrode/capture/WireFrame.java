package dev.electrode.capture;

import dev.electrode.wire.Frame;
import dev.electrode.wire.MessageType;
import dev.electrode.wire.proto.*;
import com.google.protobuf.Message;

import java.net.Inet4Address;

/** One captured UDP datagram decoded with the project's wire codec. */
public record WireFrame(long timeMicros, Inet4Address src, int srcPort, Inet4Address dst, int dstPort, Frame frame) {
    public MessageType type() { return frame.type(); }

    /** The view of messages that carry one, else -1. */
    public long view() {
        Message b = frame.body();
        if (b instanceof PrepareMessage p) return p.getView();
        if (b instanceof PrepareOKMessage p) return p.getView();
        if (b instanceof CommitMessage p) return p.getView();
        if (b instanceof ReplyMessage p) return p.getView();
        if (b instanceof StartViewChangeMessage p) return p.getView();
        if (b instanceof DoViewChangeMessage p) return p.getView();
        if (b instanceof StartViewMessage p) return p.getView();
        return -1;
    }

    /** The opnum of messages that carry one, else -1. */
    public long opnum() {
        Message b = frame.body();
        if (b instanceof PrepareMessage p) return p.getOpnum();
        if (b instanceof PrepareOKMessage p) return p.getOpnum();
        if (b instanceof CommitMessage p) return p.getOpnum();
        if (b instanceof ReplyMessage p) return p.getOpnum();
        return -1;
    }

    /** The client id of a Request, else 0. */
    public long clientId() {
        return frame.body() instanceof RequestMessage r ? r.getReq().getClientid() : 0;
    }

    /** The client request id of a Request or Reply, else -1. */
    public long clientReqId() {
        Message b = frame.body();
        if (b instanceof RequestMessage r) return r.getReq().getClientreqid();
        if (b instanceof UnloggedRequestMessage r) return r.getReq().getClientreqid();
        if (b instanceof ReplyMessage r) return r.getClientreqid();
        return -1;
    }

    /** One table line, its time relative to {@code baseMicros} (see {@link CaptureTable#HEADER}). */
    public String line(long baseMicros) {
        return String.format("%10d  %15s:%-5d -> %15s:%-5d  %-22s view %-3s op %-6s req %s", timeMicros - baseMicros, src.getHostAddress(),
                srcPort, dst.getHostAddress(), dstPort, type(), orDash(view()), orDash(opnum()), orDash(clientReqId()));
    }

    @Override
    public String toString() { return line(0); }

    private static String orDash(long v) {
        return v < 0 ? "-" : Long.toString(v);
    }
}
