/** The help text a user gets for `help` and with errors about messages that are not commands. */
export const HELP_TEXT = `Kestrel takes these commands as chat messages (JSON, or Python style with single quotes):

Submit a job of N tasks; task INDEX (0 to N-1) runs COMMAND INDEX on a worker:
  {'type':'job', 'command':"~/runtask.sh", 'queue':10000}
  optional: 'requires':['linux','gpu'] (worker tags), 'cores':2, 'ram':4096 (MB),
  'retries':3 (reruns of a task that exits non-zero), 'cleanup':"~/cleanup.sh"

Show the progress of your jobs, or of one job:
  {'type':'status'}
  {'type':'status', 'job_id':317}

Cancel all your jobs, or one job:
  {'type':'cancel'}
  {'type':'cancel', 'job_id':428}

Why a job's tasks are waiting (no worker provides a tag, all busy, too big…):
  {'type':'why', 'job_id':317}

Admins only: the workers and their state, and dropping finished jobs from the store:
  {'type':'pool'}
  {'type':'purge', 'finished_before':'2025-01-31'}

When every task of a job has ended you get {"type":"job_finished", "job_id":...}.
Send help to see this again.`;
