"""The peer in Kestrel's benchmark: Celery 5 on RabbitMQ, as Debian ships them.

A no-op task, and one that runs the same shell command as Kestrel's real tasks (`true INDEX`). Results go back over AMQP (rpc:// backend) so the client knows when the bag is
done, and tasks are acknowledged after they ran (acks_late), as Kestrel's workers keep a result
until the manager acknowledges it.
"""
import os
import subprocess

from celery import Celery
from celery.signals import worker_ready

app = Celery("bench_tasks", broker=os.environ["CELERY_BROKER_URL"], backend="rpc://")
app.conf.update(
    task_acks_late=True,
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    worker_hijack_root_logger=False,
    # The client blocks while it publishes a big bag and sends no AMQP heartbeats meanwhile;
    # RabbitMQ would drop it after two missed ones. Loopback needs none.
    broker_heartbeat=0,
)


@app.task
def noop(index):
    return index


@app.task
def shell(index):
    # What a Kestrel task is: a process running `COMMAND INDEX` through the shell.
    subprocess.run(["sh", "-c", f"true {index}"], check=True)
    return index


@worker_ready.connect
def announce(**_kwargs):
    # Printed whatever the log level, so the bench knows when to start the clock.
    print("kestrel-bench: worker ready", flush=True)
