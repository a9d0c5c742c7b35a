"""`python -m goldsphere_pipelines.sandbox`: the child process of `run_sandbox_process`."""

from goldsphere_pipelines.sandbox.server import process_main

process_main()
