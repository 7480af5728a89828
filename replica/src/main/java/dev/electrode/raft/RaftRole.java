package dev.electrode.raft;

/** A Raft replica's role in its current term. */
public enum RaftRole { FOLLOWER, CANDIDATE, LEADER }
