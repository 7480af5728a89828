package dev.electrode.vr;

/** Replica status of VR Revisited; the numeric codes are what the kernel control state uses. */
public enum Status {
    NORMAL(0), VIEW_CHANGE(1), RECOVERING(2);

    private final int code;

    Status(int code) { this.code = code; }

    /** The code mirrored into the eBPF control map. */
    public int code() { return code; }
}
