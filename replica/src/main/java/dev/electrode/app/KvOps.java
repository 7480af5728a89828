package dev.electrode.app;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.electrode.app.proto.*;

/** Builds KV operations and reads their results (client side). */
public final class KvOps {
    private KvOps() {}

    public static ByteString put(ByteString key, ByteString value) {
        return KvOp.newBuilder().setPut(Put.newBuilder().setKey(key).setValue(value)).build().toByteString();
    }

    public static ByteString get(ByteString key) {
        return KvOp.newBuilder().setGet(Get.newBuilder().setKey(key)).build().toByteString();
    }

    public static ByteString delete(ByteString key) {
        return KvOp.newBuilder().setDelete(Delete.newBuilder().setKey(key)).build().toByteString();
    }

    /** Compare-and-set; a null {@code expected} means "only if absent". */
    public static ByteString cas(ByteString key, ByteString expected, ByteString value) {
        CompareAndSet.Builder b = CompareAndSet.newBuilder().setKey(key).setValue(value);
        if (expected == null) b.setExpectAbsent(true);
        else b.setExpected(expected);
        return KvOp.newBuilder().setCas(b).build().toByteString();
    }

    public static ByteString put(String key, String value) { return put(ByteString.copyFromUtf8(key), ByteString.copyFromUtf8(value)); }

    public static ByteString get(String key) { return get(ByteString.copyFromUtf8(key)); }

    /** Parses a reply; a reply that is not a KvResult becomes BAD_REQUEST with the reason. */
    public static KvResult result(ByteString reply) {
        try {
            return KvResult.parseFrom(reply);
        } catch (InvalidProtocolBufferException e) {
            return KvResult.newBuilder().setStatus(KvResult.Status.BAD_REQUEST).setError("unparseable reply: " + e.getMessage()).build();
        }
    }
}
