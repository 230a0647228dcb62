"""explorer.links: a scenario (and the open sections) in a page's address, and hostile addresses."""

from __future__ import annotations

import base64
import json
import tracemalloc
import zlib

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from explorer.core import Network
from explorer.links import (
    LINK_VERSION,
    MAX_JSON_BYTES,
    MAX_LINK_CHARS,
    LinkError,
    link_in,
    link_query,
    looks_like_link,
    read_link,
    scenario_link,
)
from explorer.scenarios import ScenarioError, make_scenario, read_scenario, scenario_to_dict

ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu", "softplus", "linear"]


def pack(data, version=LINK_VERSION) -> str:
    """A link made here, independently of explorer.links: version, dot, base64url of zlib of JSON."""
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return f"{version}." + base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")


def bits(a) -> bytes:
    a = np.asarray(a)
    return a.dtype.str.encode() + a.tobytes()


# ----------------------------------------------------------------------------- round trips


@st.composite
def networks(draw):
    sizes = draw(st.lists(st.integers(1, 4), min_size=2, max_size=4))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    cost = draw(st.sampled_from(["quadratic", "cross_entropy"]))
    acts = [draw(st.sampled_from(ACTIVATIONS)) for _ in sizes[1:]]
    net = Network(sizes, activation=acts, cost=cost, seed=0, dtype=dtype)
    number = st.floats(-4, 4, allow_nan=False, allow_infinity=False, width=32 if dtype is np.float32 else 64)
    for l in range(2, len(sizes) + 1):
        net.weights[l] = np.array(
            draw(st.lists(st.lists(number, min_size=sizes[l - 2], max_size=sizes[l - 2]), min_size=sizes[l - 1], max_size=sizes[l - 1])),
            dtype=dtype,
        )
        net.biases[l] = np.array(draw(st.lists(number, min_size=sizes[l - 1], max_size=sizes[l - 1])), dtype=dtype).reshape(-1, 1)
        for j in range(sizes[l - 1]):
            if draw(st.booleans()) and draw(st.booleans()):
                net.set_activation(l, j, draw(st.sampled_from(ACTIVATIONS)))
    x = np.array(draw(st.lists(number, min_size=sizes[0], max_size=sizes[0])), dtype=dtype)
    unit = st.floats(0, 1, width=32 if dtype is np.float32 else 64)
    y = np.array(draw(st.lists(unit if cost == "cross_entropy" else number, min_size=sizes[-1], max_size=sizes[-1])), dtype=dtype)
    l = draw(st.integers(2, len(sizes)))
    j = draw(st.integers(0, sizes[l - 1] - 1))
    if draw(st.booleans()):
        selection = {"kind": "weight", "layer": l, "j": j, "k": draw(st.integers(0, sizes[l - 2] - 1))}
    else:
        selection = {"kind": "neuron", "layer": l, "j": j}
    finite = st.floats(allow_nan=False, allow_infinity=False)
    view = {"open": draw(st.sampled_from([[], ["scenario"]]))}
    text = st.text(max_size=40)
    return net, x, y, selection, draw(finite), draw(finite), draw(text), draw(text), view


@given(networks())
def test_a_link_gives_back_every_bit_of_the_state(case):
    net, x, y, selection, dz, dw, title, description, view = case
    try:
        scenario = make_scenario(net, x, y, selection=selection, dz=dz, dw=dw, title=title, description=description)
    except ScenarioError:
        assume(False)  # a network that overflows on its example cannot be a scenario at all
    value = scenario_link(scenario, view)
    assert value.startswith("1.") and len(value) <= MAX_LINK_CHARS
    # only characters that need no escaping in an address
    assert set(value[2:]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    back = read_link(f"http://127.0.0.1:8866/voila/render/classroom.ipynb?{link_query(scenario, view)}")
    s = back.scenario
    # compared with the network the test built, not with another output of the codec
    assert s.sizes == tuple(net.sizes) and s.cost == net.cost.name and s.dtype == np.dtype(net.dtype).name
    for l in range(2, net.L + 1):
        assert bits(s.weights[l]) == bits(net.weights[l])
        assert bits(s.biases[l]) == bits(net.biases[l])
        assert s.activations[l] == net.base_activation(l).name
        for j in range(net.sizes[l - 1]):
            assert s.network().neuron_activation(l, j).name == net.neuron_activation(l, j).name
    assert bits(s.x[:, 0]) == bits(x) and bits(s.y[:, 0]) == bits(y)
    assert dict(s.selection) == selection
    assert bits(np.float64(s.dz)) == bits(np.float64(dz)) and bits(np.float64(s.dw)) == bits(np.float64(dw))
    assert (s.title, s.description) == (title, description)
    assert dict(back.view) == view


def test_the_link_is_what_the_docstring_says_it_is():
    # decoded by hand: version, dot, base64url without padding, zlib, compact JSON of the scenario
    scenario = read_scenario("demon_at_work")
    value = scenario_link(scenario, {"open": ["scenario"]})
    version, packed = value.split(".")
    data = json.loads(zlib.decompress(base64.urlsafe_b64decode(packed + "=" * (-len(packed) % 4))))
    full = scenario_to_dict(scenario)
    assert version == "1" and "=" not in packed
    assert data["network"] == full["network"] and data["example"] == full["example"]
    assert data["view"] == {"open": ["scenario"]}
    assert {"format", "version", "notation"}.isdisjoint(data) and "name" not in data["selection"]
    # a link made by hand from the same JSON reads back to the same scenario
    assert read_link(pack(data)).scenario.weights[2].tobytes() == scenario.weights[2].tobytes()


def test_where_a_link_is_found():
    assert link_in("https://h/app?scenario=x&s=1.abc&z=2") == "1.abc"
    assert link_in("?s=1.abc") == link_in("s=1.abc") == link_in("1.abc") == "1.abc"
    assert link_in("https://h/app?scenario=x") is None and link_in(None) is None
    assert looks_like_link("?s=1.abc") and looks_like_link("1.eJyrVkrLz1eyUkpKLFKqBQA")
    assert not looks_like_link("healthy") and not looks_like_link("my/scenario.json") and not looks_like_link("1.json")


def test_a_scenario_too_large_for_a_link_says_so():
    net = Network([40, 40, 40], seed=1)  # 3,280 parameters of 17 digits: over the link's limit
    scenario = make_scenario(net, np.zeros(40), np.zeros(40))
    with pytest.raises(LinkError, match="too large for a link"):
        scenario_link(scenario)


# ----------------------------------------------------------------------------- hostile links


def healthy_compact():
    data = scenario_to_dict(read_scenario("healthy"))
    for key in ("format", "version", "notation"):
        data.pop(key)
    return data


def with_change(change):
    data = healthy_compact()
    change(data)
    return pack(data)


def with_dz_text(text: str) -> str:
    """The healthy scenario with its dz written as ``text`` (JSON that json.dumps would not write)."""
    data = healthy_compact()
    data["dz"] = 12345.0
    json_text = json.dumps(data)
    assert json_text.count("12345.0") == 1
    return pack(json_text.replace("12345.0", text).encode())


def zip_bomb() -> str:
    # 20 MB of JSON in about 20 kB of zlib: a valid link's length, a huge unpacked size
    return pack(b'{"title":"' + b"x" * 20_000_000 + b'"}')


HOSTILE = {
    "one megabyte": (lambda: "1." + "A" * 1_000_000, "too long"),
    "a million neurons": (
        lambda: with_change(lambda d: d["network"].update(sizes=[1_000_000, 1_000_000, 1_000_000])),
        # refused by its size before any array is made (explorer.scenarios.MAX_NEURONS)
        "layer 1 has 1,000,000 neurons; a scenario may have at most 1,000 in a layer",
    ),
    "NaN": (lambda: with_dz_text("NaN"), "NaN"),
    "a number that overflows": (lambda: with_dz_text("1e999"), "not a finite number"),
    "wrong types": (lambda: with_change(lambda d: d["network"].update(sizes="2,3,2")), "expected a list"),
    "a list, not an object": (lambda: pack([1, 2, 3]), "not a JSON object"),
    "a view of the wrong type": (lambda: with_change(lambda d: d.update(view=["scenario"])), "view is not an object"),
    "an unknown section": (lambda: with_change(lambda d: d.update(view={"open": ["everything"]})), "unknown section"),
    "an unknown version": (lambda: pack(healthy_compact(), version=2), "version '2'"),
    "no version": (lambda: pack(healthy_compact()).split(".", 1)[1], "no version"),
    "bad base64": (lambda: "1.eJ$%^&*", "characters a link never has"),
    "a wrong length": (lambda: "1.eJyrV", "cut at a wrong length|cut short|damaged"),
    "cut short": (lambda: pack(healthy_compact())[:200], "cut short"),
    "not zlib": (lambda: "1." + base64.urlsafe_b64encode(b"hello world, no zlib").decode().rstrip("="), "damaged"),
    "extra data": (lambda: "1." + base64.urlsafe_b64encode(
        zlib.compress(json.dumps(healthy_compact()).encode()) + b"tail").decode().rstrip("="), "extra data"),
    "a zip bomb": (zip_bomb, "unpacks to more than"),
    "deep nesting": (lambda: pack(b"[" * 100_000 + b"]" * 100_000), "nests lists and objects more than 32 levels deep"),
    "a neuron out of range": (lambda: with_change(lambda d: d["selection"].update(j=99)), "out of range"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_link_is_refused_with_a_plain_message_and_little_memory(name):
    make, expected = HOSTILE[name]
    value = make()
    assert len(value) <= MAX_LINK_CHARS or name == "one megabyte"
    tracemalloc.start()
    try:
        with pytest.raises(LinkError, match=expected) as caught:
            read_link("?s=" + value)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    message = str(caught.value)
    assert len(message) < 400 and "Traceback" not in message
    # Bounded by the decompression ceiling, not by the hostile size (1 MB, 20 MB, 10^12 weights);
    # the input itself (1 MB in one case) was made before tracing started.
    assert peak < 4 * MAX_JSON_BYTES + 1_000_000, f"{name}: {peak:,} bytes at the peak"


def test_the_zip_bomb_stops_at_the_ceiling():
    # the same bomb unpacked naively would take 20 MB; the link reader stays near its ceiling
    value = zip_bomb()
    tracemalloc.start()
    try:
        with pytest.raises(LinkError):
            read_link(value)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3 * MAX_JSON_BYTES < 20_000_000
