#!/usr/bin/env python3
"""A small app on its sidecar's Overlay API, in Python with grpcio (docs/app-api.md).

It does the three things an app of a topology usually does:

- watches the membership (WatchMembers: one CURRENT event per member, SYNCED, then JOINED / LEFT /
  UPDATED), with each member's pod and tags;
- subscribes to the broadcasts of its topics (Subscribe with `topics`; none = every broadcast),
  and answers the requests it is delivered (a Delivery with a `request_id`) with Respond;
- on command, broadcasts on a topic or asks every member a question (Query), printing each
  answer as it streams back.

Everything it sees is printed to stdout as one JSON object per line (`{"event": ...}`); commands
come on stdin, one JSON object per line:

    {"op": "broadcast", "payload": "hi", "topic": "alpha"}
    {"op": "query", "payload": "who is there?", "timeout_ms": 2000, "topic": "", "tag_filter": {}}
    {"op": "members"}
    {"op": "quit"}

The stubs are generated from proto/ by hack/python-env.sh into examples/python/gen/ (or the
directory in $TOPOLOGY_PY_GEN). Run: `python topology_app.py --sidecar 127.0.0.1:7947 --name a
--topics alpha --answer "hello from a"`.
"""

import argparse
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.environ.get("TOPOLOGY_PY_GEN", os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen")))

import grpc  # noqa: E402
from topology.v1 import overlay_pb2 as pb  # noqa: E402
from topology.v1 import overlay_pb2_grpc as pb_grpc  # noqa: E402

# How long to wait for the sidecar at start (s): a sidecar starts in a few seconds. Wild guess.
CONNECT_TIMEOUT_S = 30
# Deadline of a unary call (s). Wild guess: the sidecar answers in well under a millisecond.
CALL_TIMEOUT_S = 10
# Extra time a Query's gRPC deadline gets beyond its timeout_ms, so the sidecar ends the stream first.
QUERY_GRACE_S = 1

_print_lock = threading.Lock()


def emit(event, **fields):
    """Prints one JSON line (threads share stdout)."""
    with _print_lock:
        sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
        sys.stdout.flush()


def member_fields(m):
    return {"address": m.address, "pod": m.pod, "tags": dict(m.tags)}


def watch_members(stub, name):
    """Prints the membership events until the stream ends."""
    try:
        for e in stub.WatchMembers(pb.WatchMembersRequest()):
            kind = pb.MembershipEventType.Name(e.type).removeprefix("MEMBERSHIP_EVENT_TYPE_").lower()
            fields = member_fields(e.member) if e.HasField("member") else {}
            emit("member", type=kind, at_ms=e.at_ms, **fields)
    except grpc.RpcError as err:
        if err.code() == grpc.StatusCode.UNIMPLEMENTED:
            emit("unimplemented", call="WatchMembers", details=err.details())
        elif err.code() != grpc.StatusCode.CANCELLED:
            emit("error", call="WatchMembers", code=err.code().name, details=err.details())


def subscribe(stub, topics, answer, name):
    """Prints deliveries of `topics` and answers requests with `answer` (when given)."""
    stream = stub.Subscribe(pb.SubscribeRequest(topics=topics))
    try:
        stream.initial_metadata()  # the sidecar sends headers once the stream is registered
        emit("subscribed", topics=topics)
        for d in stream:
            if d.kind == pb.DELIVERY_KIND_GAP:
                emit("gap", reason=pb.GapReason.Name(d.gap.reason), count=d.gap.count, detail=d.gap.detail)
                continue
            payload = d.payload.decode("utf-8", "replace")
            if d.request_id:
                emit("request", request_id=d.request_id, origin=d.origin, payload=payload, topic=d.topic)
                if answer is not None:
                    respond(stub, d.request_id, answer)
                continue
            emit("delivery", id=d.id, origin=d.origin, to=d.to, topic=d.topic, payload=payload, epoch=d.epoch)
    except grpc.RpcError as err:
        if err.code() != grpc.StatusCode.CANCELLED:
            emit("error", call="Subscribe", code=err.code().name, details=err.details())


def respond(stub, request_id, answer):
    try:
        stub.Respond(pb.RespondRequest(request_id=request_id, payload=answer.encode()), timeout=CALL_TIMEOUT_S)
        emit("answered", request_id=request_id)
    except grpc.RpcError as err:
        emit("error", call="Respond", code=err.code().name, details=err.details())


def query(stub, cmd):
    """Asks every matching member; prints each answer, then how many came."""
    timeout_ms = int(cmd.get("timeout_ms", 2000))
    request = pb.QueryRequest(
        payload=str(cmd.get("payload", "")).encode(),
        timeout_ms=timeout_ms,
        topic=cmd.get("topic", ""),
        tag_filter=cmd.get("tag_filter", {}),
    )
    count = 0
    try:
        for r in stub.Query(request, timeout=timeout_ms / 1000 + QUERY_GRACE_S):
            count += 1
            emit("query_answer", **{"from": getattr(r, "from")}, payload=r.payload.decode("utf-8", "replace"), request_id=r.request_id)
        emit("query_done", count=count)
    except grpc.RpcError as err:
        code = "unimplemented" if err.code() == grpc.StatusCode.UNIMPLEMENTED else "error"
        emit(code, call="Query", code=err.code().name, details=err.details(), count=count)


def members(stub):
    r = stub.Members(pb.MembersRequest(), timeout=CALL_TIMEOUT_S)
    details = [member_fields(m) for m in r.member_details] or [{"address": a, "pod": "", "tags": {}} for a in r.members]
    emit("members", self=r.self, epoch=r.epoch, members=details)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sidecar", required=True, help="the sidecar's Overlay API, host:port")
    parser.add_argument("--name", required=True, help="a name for the output")
    parser.add_argument("--topics", default="", help="comma-separated broadcast topics (empty: every broadcast)")
    parser.add_argument("--answer", default=None, help="answer every request with this text")
    args = parser.parse_args()
    topics = [t for t in args.topics.split(",") if t]

    channel = grpc.insecure_channel(args.sidecar)
    grpc.channel_ready_future(channel).result(timeout=CONNECT_TIMEOUT_S)
    stub = pb_grpc.OverlayStub(channel)
    started = time.time()
    r = stub.Members(pb.MembersRequest(), timeout=CALL_TIMEOUT_S, wait_for_ready=True)
    emit("ready", name=args.name, self=r.self, connect_ms=round((time.time() - started) * 1000))

    threading.Thread(target=watch_members, args=(stub, args.name), daemon=True).start()
    threading.Thread(target=subscribe, args=(stub, topics, args.answer, args.name), daemon=True).start()

    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        cmd = json.loads(line)
        op = cmd.get("op")
        try:
            if op == "broadcast":
                reply = stub.Broadcast(pb.BroadcastRequest(payload=str(cmd["payload"]).encode(), topic=cmd.get("topic", "")), timeout=CALL_TIMEOUT_S)
                emit("broadcast", id=reply.id, topic=cmd.get("topic", ""), seq=reply.seq)
            elif op == "query":
                # In its own thread: answers stream for timeout_ms, and this app keeps answering others meanwhile.
                threading.Thread(target=query, args=(stub, cmd), daemon=True).start()
            elif op == "members":
                members(stub)
            elif op == "quit":
                break
            else:
                emit("error", call="stdin", code="INVALID_ARGUMENT", details=f"unknown op {op!r}")
        except grpc.RpcError as err:
            emit("error", call=op, code=err.code().name, details=err.details())
    channel.close()
    emit("bye", name=args.name)


if __name__ == "__main__":
    main()
