package dev.electrode.app;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.electrode.app.proto.KvOp;
import dev.electrode.app.proto.KvPair;
import dev.electrode.app.proto.KvSnapshot;
import dev.electrode.app.proto.KvResult;
import dev.electrode.app.Application;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.TreeMap;

/**
 * The replicated key-value store: put, get, delete and compare-and-set, executed in opnum
 * order. An operation that does not parse is answered with BAD_REQUEST and changes nothing.
 * Logged reads are linearizable; unlogged reads may return stale values.
 */
public final class KvStore implements Application {
    private final TreeMap<ByteString, ByteString> data = new TreeMap<>(ByteString.unsignedLexicographicalComparator());
    private long executed;

    @Override
    public ByteString execute(ByteString op) {
        executed++;
        KvOp kv;
        try {
            kv = KvOp.parseFrom(op);
        } catch (InvalidProtocolBufferException e) {
            return error("operation is not a KvOp: " + e.getMessage());
        }
        return apply(kv, true).toByteString();
    }

    @Override
    public ByteString executeUnlogged(ByteString op) {
        KvOp kv;
        try {
            kv = KvOp.parseFrom(op);
        } catch (InvalidProtocolBufferException e) {
            return error("operation is not a KvOp: " + e.getMessage());
        }
        if (kv.getOpCase() != KvOp.OpCase.GET) return error("unlogged requests may only read (got " + kv.getOpCase() + ")");
        return apply(kv, false).toByteString();
    }

    private KvResult apply(KvOp kv, boolean mayWrite) {
        switch (kv.getOpCase()) {
            case GET: {
                ByteString v = data.get(kv.getGet().getKey());
                return v == null ? status(KvResult.Status.NOT_FOUND) : found(KvResult.Status.OK, v);
            }
            case PUT: {
                ByteString prev = data.put(kv.getPut().getKey(), kv.getPut().getValue());
                return prev == null ? status(KvResult.Status.OK) : found(KvResult.Status.OK, prev);
            }
            case DELETE: {
                ByteString prev = data.remove(kv.getDelete().getKey());
                return prev == null ? status(KvResult.Status.NOT_FOUND) : found(KvResult.Status.OK, prev);
            }
            case CAS: {
                var cas = kv.getCas();
                ByteString cur = data.get(cas.getKey());
                boolean match = cas.getExpectAbsent() ? cur == null : cur != null && cur.equals(cas.getExpected());
                if (!match) return cur == null ? status(KvResult.Status.CAS_FAILED) : found(KvResult.Status.CAS_FAILED, cur);
                data.put(cas.getKey(), cas.getValue());
                return found(KvResult.Status.OK, cas.getValue());
            }
            default:
                return KvResult.newBuilder().setStatus(KvResult.Status.BAD_REQUEST).setError("empty operation").build();
        }
    }

    private static KvResult status(KvResult.Status s) { return KvResult.newBuilder().setStatus(s).build(); }

    private static KvResult found(KvResult.Status s, ByteString v) {
        return KvResult.newBuilder().setStatus(s).setValue(v).setHadValue(true).build();
    }

    private static ByteString error(String msg) {
        return KvResult.newBuilder().setStatus(KvResult.Status.BAD_REQUEST).setError(msg).build().toByteString();
    }

    @Override
    public ByteString snapshot() {
        KvSnapshot.Builder b = KvSnapshot.newBuilder().setExecuted(executed);
        for (Map.Entry<ByteString, ByteString> e : data.entrySet()) b.addPairs(KvPair.newBuilder().setKey(e.getKey()).setValue(e.getValue()));
        return b.build().toByteString();
    }

    @Override
    public void restore(ByteString state) {
        KvSnapshot s;
        try {
            s = KvSnapshot.parseFrom(state);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("not a KV snapshot: " + e.getMessage(), e);
        }
        TreeMap<ByteString, ByteString> restored = new TreeMap<>(ByteString.unsignedLexicographicalComparator());
        for (KvPair p : s.getPairsList()) {
            if (restored.put(p.getKey(), p.getValue()) != null)
                throw new IllegalArgumentException("KV snapshot holds key " + p.getKey().toStringUtf8() + " twice");
        }
        data.clear();
        data.putAll(restored);
        executed = s.getExecuted();
    }

    /** The value of {@code key}, or null (for tests and tools on the protocol thread). */
    public ByteString get(ByteString key) { return data.get(key); }

    /** Number of keys. */
    public int size() { return data.size(); }

    /** Operations executed so far (logged only). */
    public long executedCount() { return executed; }

    /** A copy of the whole store, in key order. */
    public Map<ByteString, ByteString> contents() { return new TreeMap<>(data); }

    /** SHA-256 over all keys and values in order: equal stores have equal digests. */
    public String digest() {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (Map.Entry<ByteString, ByteString> e : data.entrySet()) {
                md.update(intBytes(e.getKey().size()));
                md.update(e.getKey().asReadOnlyByteBuffer());
                md.update(intBytes(e.getValue().size()));
                md.update(e.getValue().asReadOnlyByteBuffer());
            }
            return java.util.HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }

    private static byte[] intBytes(int v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }
}
