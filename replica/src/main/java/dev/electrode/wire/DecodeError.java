package dev.electrode.wire;

/** Why a datagram was not turned into a message; each is counted by {@link CodecStats}. */
public enum DecodeError {
    TOO_SHORT,
    BAD_MAGIC,
    BAD_TYPE_LENGTH,
    UNKNOWN_TYPE,
    BAD_DATA_LENGTH,
    BAD_BODY,
    BAD_FRAGMENT,
    FRAGMENT_TOO_LARGE,
    FRAGMENT_INCONSISTENT,
    FRAGMENT_OVERLAP,
    DUPLICATE_FRAGMENT,
    FRAGMENT_EXPIRED,
    FRAGMENT_EVICTED
}
