"""ippeveprinter's per-job command in tests: behaves by job name (jam, stall) or 'prints' the file."""
import os
import shutil
import sys
import time

name = os.environ.get("IPP_JOB_NAME", "")
if "jam" in name:
    print("STATE: +media-jam-error", file=sys.stderr, flush=True)
    print("ERROR: paper jammed", file=sys.stderr, flush=True)
    sys.exit(1)
if "stall" in name:
    time.sleep(3600)  # the printer takes the job and never finishes it
out = os.environ.get("KIOSK_IPP_OUT")
if out:
    shutil.copy(sys.argv[1], os.path.join(out, f"{name or 'job'}.pdf"))
