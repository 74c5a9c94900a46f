"""Send the agent-telemetry protocol from Python: tasks, their answers and heartbeats.

An agent written in any language is observed once it writes Avro AgentMessages, in the Confluent
wire format, to the queue of the agent it addresses (`agent-queue-<agent>`). This module does it with
Confluent's Python client and its own copy of the schema: a subset of
`schemas/avro/agent-message.avsc`, without its namespace. The fields it leaves out take that
schema's defaults; field names and enum symbols must be the same.

    python3 -m pip install -r requirements.txt
    python3 producer.py --bootstrap 127.0.0.1:9092 \
        --registry http://127.0.0.1:8081/apis/ccompat/v7 --requester orchestrator --worker coder

Run as a script it plays one requester and one worker: it sends five tasks, answers three of them
(a result, an error, a cancel), leaves two pending (one with a TTL), sends a heartbeat, and prints
the task ids by the state agent-telemetry should show, as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import uuid

from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient, topic_subject_name_strategy
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

AGENT_MESSAGE_SCHEMA = {
    "type": "record",
    "name": "AgentMessage",
    "fields": [
        {"name": "message_id", "type": "string"},
        {"name": "source_agent", "type": "string"},
        {"name": "target_agent", "type": "string"},
        {
            "name": "message_type",
            "type": {
                "type": "enum",
                "name": "MessageType",
                "symbols": ["task", "result", "error", "heartbeat", "cancel"],
            },
        },
        {
            "name": "priority",
            "type": {
                "type": "enum",
                "name": "Priority",
                "symbols": ["low", "normal", "high", "critical"],
                "default": "normal",
            },
            "default": "normal",
        },
        {"name": "payload", "type": "string"},
        {"name": "trace_id", "type": "string"},
        {"name": "span_id", "type": "string"},
        {"name": "parent_message_id", "type": ["null", "string"], "default": None},
        {"name": "reason", "type": ["null", "string"], "default": None},
        {"name": "timestamp", "type": "long"},
        {"name": "ttl_seconds", "type": ["null", "int"], "default": None},
        {
            "name": "heartbeat",
            "type": [
                "null",
                {
                    "type": "record",
                    "name": "Heartbeat",
                    "fields": [
                        {"name": "state", "type": "string"},
                        {"name": "in_flight", "type": "int", "default": 0},
                        {"name": "max_concurrency", "type": "int", "default": 1},
                    ],
                },
            ],
            "default": None,
        },
    ],
}


def now_ms() -> int:
    return int(time.time() * 1000)


class AgentMessageSender:
    """Writes AgentMessages to agent queues; every message of a task is keyed by the task's id."""

    def __init__(self, bootstrap: str, registry_url: str, topic_prefix: str = "agent-queue-"):
        self._producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
        registry = SchemaRegistryClient({"url": registry_url})
        # subject `<topic>-value`, named outright: the client's default strategy first asks the
        # registry for topic associations, an endpoint Confluent-compatible registries other than
        # Confluent's (Apicurio's, the local stack's) may not serve
        self._serializer = AvroSerializer(registry, json.dumps(AGENT_MESSAGE_SCHEMA),
                                          conf={"subject.name.strategy": topic_subject_name_strategy})
        self._topic_prefix = topic_prefix

    def _send(self, message: dict, key: str, trace_id: str) -> None:
        topic = self._topic_prefix + message["target_agent"]
        value = self._serializer(message, SerializationContext(topic, MessageField.VALUE))
        # the W3C trace context travels in a header as well as in the message
        traceparent = f"00-{trace_id}-{message['span_id']}-01"
        self._producer.produce(topic, key=key, value=value, headers=[("traceparent", traceparent)])

    def _message(self, source: str, target: str, message_type: str, **fields) -> dict:
        message = {
            "message_id": str(uuid.uuid4()),
            "source_agent": source,
            "target_agent": target,
            "message_type": message_type,
            "payload": "{}",
            "span_id": os.urandom(8).hex(),
            "timestamp": now_ms(),
        }
        message.update(fields)
        return message

    def task(self, requester: str, worker: str, payload: dict, *, priority: str = "normal",
             ttl_seconds: int | None = None) -> dict:
        """A TASK from `requester` to `worker`; pending until answered (or past its TTL)."""
        message = self._message(requester, worker, "task", payload=json.dumps(payload),
                                trace_id=os.urandom(16).hex(), priority=priority,
                                ttl_seconds=ttl_seconds)
        self._send(message, message["message_id"], message["trace_id"])
        return message

    def answer(self, task: dict, message_type: str, payload: dict | None = None,
               reason: str | None = None) -> dict:
        """A result, error or cancel of `task`, from its worker back to its requester."""
        message = self._message(task["target_agent"], task["source_agent"], message_type,
                                payload=json.dumps(payload or {}), trace_id=task["trace_id"],
                                parent_message_id=task["message_id"], reason=reason)
        self._send(message, task["message_id"], task["trace_id"])
        return message

    def heartbeat(self, agent: str, to: str, state: str, in_flight: int) -> None:
        message = self._message(agent, to, "heartbeat", trace_id=os.urandom(16).hex(),
                                heartbeat={"state": state, "in_flight": in_flight,
                                           "max_concurrency": 4})
        self._send(message, agent, message["trace_id"])

    def flush(self, timeout_s: float = 30) -> None:
        if self._producer.flush(timeout_s) > 0:
            raise RuntimeError("messages still unsent after the flush timeout")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--registry", default="http://127.0.0.1:8081/apis/ccompat/v7")
    parser.add_argument("--topic-prefix", default="agent-queue-")
    parser.add_argument("--requester", default="orchestrator")
    parser.add_argument("--worker", default="coder")
    args = parser.parse_args()

    sender = AgentMessageSender(args.bootstrap, args.registry, args.topic_prefix)
    tasks = [sender.task(args.requester, args.worker, {"step": i}, priority="high" if i == 0 else "normal",
                         ttl_seconds=3600 if i == 4 else None) for i in range(5)]
    sender.answer(tasks[0], "result", {"ok": True})
    sender.answer(tasks[1], "error", reason="tool failed: timeout after 30 s")
    sender.answer(tasks[2], "cancel", reason="superseded")
    sender.heartbeat(args.worker, args.requester, "busy", in_flight=2)
    sender.flush()
    print(json.dumps({
        "completed": [tasks[0]["message_id"]],
        "failed": [tasks[1]["message_id"]],
        "cancelled": [tasks[2]["message_id"]],
        "pending": [tasks[3]["message_id"], tasks[4]["message_id"]],
        "messages": len(tasks) + 4,
    }))


if __name__ == "__main__":
    main()
