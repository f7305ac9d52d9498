"""A software prefetch for Numba kernels whose loops are bound by memory latency.

The graph kernels read, for each edge, a row or a label chosen by the edge's
other end: addresses the hardware prefetcher cannot guess, so each read waits
for memory. :func:`prefetch` asks the processor to start loading
``arr[i]``'s cache line while the kernel works on earlier entries (LLVM's
``llvm.prefetch``: read, keep in all cache levels, data cache). It is a hint
only: it changes no value, cannot fault, and costs one instruction where it is
not needed; kernels use it only to read ahead of their own loop, so their
results are the same with it as without it (the tests compare them with their
reference twins either way).
"""

from __future__ import annotations

import numpy as np
from llvmlite import binding as _llvm
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["prefetch", "prefetch_range"]

#: Bytes per cache line (x86-64 and most ARM cores).
_LINE = 64

# LLVM 15 and later name the intrinsic by its opaque pointer type.
_NAME = "llvm.prefetch.p0" if _llvm.llvm_version_info[0] >= 15 else "llvm.prefetch.p0i8"


@intrinsic
def _prefetch(typingctx, arr, idx):  # pragma: no cover - compiled
    """Start loading the cache line of ``arr[idx]`` (a 1-d array, an integer index).

    No bounds check (a prefetch of any address is harmless); callers still pass
    indices inside the array.
    """
    if not isinstance(arr, types.Array) or arr.ndim != 1 or not isinstance(idx, types.Integer):
        return None
    sig = types.void(arr, idx)

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1]], wraparound=False)
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, _NAME)
        # rw = 0 (read), locality = 3 (keep in every level), cache type = 1 (data)
        builder.call(
            fn,
            [
                builder.bitcast(ptr, i8p),
                ir.Constant(i32, 0),
                ir.Constant(i32, 3),
                ir.Constant(i32, 1),
            ],
        )
        return context.get_dummy_value()

    return sig, codegen


@njit(inline="always")
def prefetch(arr: np.ndarray, idx: int) -> None:  # pragma: no cover - compiled
    """Start loading the cache line of ``arr[idx]`` (see the module docstring);
    inlined where it is called."""
    _prefetch(arr, idx)  # type: ignore[call-arg]


@njit(inline="always")
def prefetch_range(arr: np.ndarray, start: int, stop: int) -> None:  # pragma: no cover
    """Start loading every cache line of ``arr[start:stop]`` (a row about to be read)."""
    for x in range(start, stop, max(1, _LINE // arr.itemsize)):
        _prefetch(arr, x)  # type: ignore[call-arg]
