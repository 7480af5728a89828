package dev.electrode.benchmarks;

import com.google.protobuf.ByteString;
import dev.electrode.wire.DecodeResult;
import dev.electrode.wire.FastMeta;
import dev.electrode.wire.FrameDecoder;
import dev.electrode.wire.FrameEncoder;
import dev.electrode.wire.KernelAckSink;
import dev.electrode.wire.MessageType;
import dev.electrode.wire.proto.*;
import org.openjdk.jmh.annotations.*;
import org.openjdk.jmh.infra.Blackhole;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/** Encoding and decoding frames of the sizes the hot path sees (a 1-request Prepare, a 16-request batch, an ACK). */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CodecBenchmark {
    @Param({"1", "16"})
    int batch;

    PrepareMessage prepare;
    PrepareOKMessage ack;
    ByteBuffer out;
    byte[] encodedPrepare;
    byte[] encodedAck;
    ByteBuffer kernelAckBuf;
    KernelAckSink ackSink;
    FrameDecoder decoder;

    @Setup
    public void setup(Blackhole bh) {
        ackSink = (type, epoch, index, sender, a, b, c) -> {
            bh.consume(epoch);
            bh.consume(index);
            bh.consume(sender + c);
        };
        PrepareMessage.Builder b = PrepareMessage.newBuilder().setView(3).setOpnum(100 + batch).setBatchstart(101);
        for (int i = 0; i < batch; i++)
            b.addRequest(Request.newBuilder().setOp(ByteString.copyFrom(new byte[80])).setClientid(0x1234567890L + i).setClientreqid(i));
        prepare = b.build();
        ack = PrepareOKMessage.newBuilder().setView(3).setOpnum(100 + batch).setReplicaIdx(2).build();
        out = ByteBuffer.allocateDirect(64 * 1024);
        encodedPrepare = FrameEncoder.encode(MessageType.PREPARE, prepare, FastMeta.forMessage(MessageType.PREPARE, prepare));
        encodedAck = FrameEncoder.encode(MessageType.PREPARE_OK, ack, FastMeta.forMessage(MessageType.PREPARE_OK, ack));
        byte[] kernelAck = FrameEncoder.encode(MessageType.MY_PREPARE_OK, ack, FastMeta.forMessage(MessageType.MY_PREPARE_OK, ack));
        kernelAckBuf = ByteBuffer.wrap(kernelAck);
        decoder = new FrameDecoder();
    }

    @Benchmark
    public int encodePrepare() {
        out.clear();
        FrameEncoder.encode(MessageType.PREPARE, prepare, FastMeta.forMessage(MessageType.PREPARE, prepare), out);
        return out.position();
    }

    @Benchmark
    public DecodeResult decodePrepare() {
        return decoder.decode("peer", ByteBuffer.wrap(encodedPrepare), 0);
    }

    @Benchmark
    public DecodeResult decodeAck() {
        return decoder.decode("peer", ByteBuffer.wrap(encodedAck), 0);
    }

    /**
     * The leader's hot path: a follower's kernel-built MyPrepareOK decoded into its fields (the
     * receive buffer is reused, as Netty's is); with {@code -prof gc} it shows 0 B per op.
     */
    @Benchmark
    public DecodeResult decodeKernelAckToFields() {
        kernelAckBuf.clear();
        return decoder.decode("peer", kernelAckBuf, 0, ackSink);
    }
}
