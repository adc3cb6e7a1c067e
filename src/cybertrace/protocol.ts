/**
 * The mode header a client puts in front of an event on CyberTrace's input port so that the
 * detections come back on the same connection, followed by the finished event (Kaspersky
 * CyberTrace Help, "Matching events with a reply back").
 */
export const REPLY_BACK_HEADER = 'X-KF-SendFinishedEventX-KF-ReplyBack';
