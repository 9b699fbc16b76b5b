#!/bin/bash
# Shard mode on Slurm: task k of the array upscales its own part of the inputs (by sorted relative path).
# Submit with `sbatch deploy/slurm-array.sh`; a task that is requeued or re-run skips what it already wrote.
# /shared must be a file system every node mounts at the same path. Any contiguous --array range works (1-16, 0-15):
# --shard auto numbers tasks from SLURM_ARRAY_TASK_MIN.
#SBATCH --job-name=subpixel
#SBATCH --array=1-16
#SBATCH --cpus-per-task=4
#SBATCH --mem=4G
#SBATCH --time=04:00:00
#SBATCH --output=subpixel-%A_%a.log
#SBATCH --requeue
set -euo pipefail
srun npx subpixel upscale /shared/scans -o /shared/upscaled -s 4 --recursive --shard auto
