"""Writing ecglens test fixtures (HDF5 read by tests/fixture.h): the file with
its format attributes, and float32 datasets without time stamps, so the same
seed gives the same bytes."""
import os
import sys

import h5py
import numpy as np
import torch


def put(group, name, value):
    data = value.detach().numpy() if torch.is_tensor(value) else np.asarray(value)
    group.create_dataset(name, data=data.astype(np.float32), track_times=False)


def create(default_name, seed):
    """The fixture file named on the command line, else tests/data/fixtures/default_name,
    opened for writing with torch seeded and on one thread."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "data", "fixtures", default_name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    root = h5py.File(path, "w")
    root.attrs["format"] = "ecglens-fixture"
    root.attrs["version"] = 1
    root.attrs["torch"] = str(torch.__version__)
    return root
