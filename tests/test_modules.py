"""Reusable modules: parameters, ${...} expressions, optional layers, names, errors."""

from __future__ import annotations

import pytest
from conftest import analyze_text, build_text

from cnncalc.errors import SpecError
from cnncalc.expr import ExprError, evaluate

NAMES = {"width": 64, "stride": 2, "project": False}


@pytest.mark.parametrize(
    "text, value",
    [
        ("width * 4", 256),
        ("width * 4 // 3", 85),
        ("(width + 1) % 7", 2),
        ("stride != 1 or project", True),
        ("not project and stride == 2", True),
        ("min(width, 32) + max(1, 2)", 34),
        ("-width", -64),
        ("7 / 2", 3.5),
        ("8 / 2", 4),
        ("true", True),
        # Python's conditional, lowest precedence, right-associative
        ("stride if project else 1", 1),
        ("stride if not project else 1", 2),
        ("width + 1 if stride == 2 else 0", 65),
        ("1 if project else 2 if stride == 2 else 3", 2),
        ("(8 if project else 4) * 2", 8),
        ("max(1 if project else 5, 3)", 5),
        # only the branch taken is worked out: no division by zero from the other
        ("width // 0 if project else width", 64),
        ("width if stride else width // 0", 64),
    ],
)
def test_expressions(text, value):
    assert evaluate(text, NAMES) == value


@pytest.mark.parametrize(
    "text, column",
    [
        ("__import__", 0),
        ("width.real", 5),
        ("open(1)", 0),
        ("width +", 7),
        ("1/0", 1),
        ('"a"', 0),
        ("width ** 2", 7),
        ("lambda: 1", 6),
        ("1 if width", 10),  # no else
        ("1 else 2", 2),
        ("if", 2),
        ("1 if true else nothing", 15),  # a branch not taken is still checked
        ("nothing if false else 1", 0),
        ("(1 if true)", 10),
    ],
)
def test_anything_else_is_refused(text, column):
    with pytest.raises(ExprError) as error:
        evaluate(text, NAMES)
    assert error.value.column == column


BLOCK = """
input: [64, 8, 8]
modules:
  basic:
    params: {filters: null, stride: 1, project: false}
    layers:
      - conv: {filters: "${filters}", kernel: 3, stride: "${stride}", padding: 1, bias: false}
        name: conv1
      - relu
      - conv: {filters: "${filters}", kernel: 3, padding: 1, bias: false}
        name: conv2
      - conv: {filters: "${filters}", kernel: 1, stride: "${stride}", bias: false}
        name: downsample
        from: input
        when: ${project}
      - add: [conv2, downsample]
      - relu:
        name: output
layers:
"""


def test_instances_qualify_names_and_skip_optional_layers():
    text = (
        BLOCK
        + """
  - basic: {filters: 64}
    name: layer1.0
  - basic: {filters: 128, stride: 2, project: true}
    name: layer2.0
"""
    )
    nodes = {node.name: node for node in build_text(text).nodes}
    # layer1.0: no projection, so its add reads the instance's input directly.
    assert nodes["layer1.0.add1"].inputs == ("layer1.0.conv2", "input")
    assert "layer1.0.downsample" not in nodes
    assert nodes["layer2.0.add1"].inputs == ("layer2.0.conv2", "layer2.0.downsample")
    assert nodes["layer2.0.downsample"].inputs == ("layer1.0.output",)
    assert nodes["layer2.0.conv1"].module == (("layer2.0", "basic"),)
    report = analyze_text(text)
    by_name = {layer.name: layer for layer in report.layers}
    # torchvision's BasicBlock counts: 3*3*64*64 = 36,864; 3*3*64*128 = 73,728; 1*1*64*128 = 8,192.
    assert by_name["layer1.0.conv1"].params == 36_864
    assert by_name["layer2.0.conv1"].params == 73_728
    assert by_name["layer2.0.downsample"].params == 8_192
    assert by_name["layer2.0.output"].shape == (128, 4, 4)


def test_repeated_instances_are_numbered_like_pytorch_modules():
    text = (
        BLOCK
        + """
  - repeat: 2
    name: layer1
    layers:
      - basic: {filters: 64}
"""
    )
    names = [node.name for node in build_text(text).nodes]
    # one unnamed module use per repetition: the repetition is the instance, as in torchvision
    assert names[:3] == ["layer1.0.conv1", "layer1.0.relu1", "layer1.0.conv2"]
    assert "layer1.1.output" in names
    text = text.replace("      - basic: {filters: 64}", "      - basic: {filters: 64}\n        name: block")
    assert [n for n in (node.name for node in build_text(text).nodes) if n.endswith("output")] == [
        "layer1.0.block.output",
        "layer1.1.block.output",
    ]


def test_modules_use_modules_and_the_instance_name_means_its_output():
    text = """
input: [4, 8, 8]
modules:
  pair:
    params: {width: null}
    layers:
      - conv: {filters: "${width}", kernel: 1}
      - conv: {filters: "${width * 2}", kernel: 1}
  quad:
    params: {width: 2}
    layers:
      - pair: {width: "${width}"}
        name: a
      - pair: {width: "${width + 1}"}
        name: b
        from: input
      - concat: [a, b]
layers:
  - quad:
    name: q
  - relu:
    from: q
"""
    report = analyze_text(text)
    shapes = {layer.name: layer.shape for layer in report.layers}
    assert shapes["q.a.conv2"] == (4, 8, 8) and shapes["q.b.conv2"] == (6, 8, 8)  # 2*2 and (2+1)*2
    assert shapes["q.concat1"] == (10, 8, 8) and shapes["relu1"] == (10, 8, 8)
    assert report.layers[-1].inputs == ("q.concat1",)


@pytest.mark.parametrize(
    "use, message",
    [
        ("- basic: {filters: 64, strid: 2}", 'has no parameter "strid" (did you mean "stride"?)'),
        ("- basic: {stride: 2}", 'module "basic" needs filters (defined at line 4)'),
        ("- basic: {filters: 64, stride: \"${__import__('os')}\"}", "is only worked out inside a module"),
    ],
)
def test_broken_uses(use, message):
    with pytest.raises(SpecError) as error:
        build_text(BLOCK + "  " + use + "\n")
    assert message in str(error.value)


def test_errors_inside_a_module_name_the_module_line_and_the_instance():
    text = (
        BLOCK.replace('"${filters}", kernel: 3, stride', '"${filters * }", kernel: 3, stride')
        + """
  - basic: {filters: 64}
    name: block
"""
    )
    with pytest.raises(SpecError) as error:
        build_text(text)
    message = str(error.value)
    assert message.startswith("t.yaml:7:")  # the module's conv1 line
    assert '"block", the basic at line' in message  # and the instance's


def test_no_code_runs_from_an_expression(tmp_path):
    marker = tmp_path / "ran"
    text = BLOCK.replace(
        '"${filters}", kernel: 3, stride', f"\"${{__import__('os').system('touch {marker}')}}\", kernel: 3, stride"
    )
    with pytest.raises(SpecError) as error:
        build_text(text + "  - basic: {filters: 64}\n")
    assert not marker.exists()
    # refused at the module's line (whichever token gives it away first), the instance named
    assert str(error.value).startswith("t.yaml:7:25: error: in ${__import__(")
    assert "the basic at line" in str(error.value)


def test_a_module_that_uses_itself_is_refused():
    text = "input: [1, 4]\nmodules:\n  loop:\n    layers:\n      - loop\nlayers:\n  - loop\n"
    with pytest.raises(SpecError) as error:
        build_text(text)
    assert "modules use each other without end: loop -> loop" in str(error.value)


def test_depth_folds_instances_into_rows(capsys):
    import io

    from cnncalc.formats import write

    text = (
        BLOCK
        + """
  - basic: {filters: 64}
    name: layer1.0
  - basic: {filters: 128, stride: 2, project: true}
    name: layer2.0
"""
    )
    report = analyze_text(text)
    stream = io.StringIO()
    write(report, "csv", stream, depth=0)
    lines = stream.getvalue().splitlines()
    # layer1.0: two 3x3 64->64 convs, 2 * 36,864 = 73,728; layer2.0: 73,728 + 147,456 + 8,192.
    assert lines[1].split(",")[:5] == ["layer1.0", "basic", "input", "64x8x8", "73728"]
    # its input is the row layer1.0 (layer1.0.output is folded into it, no row of its own)
    assert lines[2].split(",")[:5] == ["layer2.0", "basic", "layer1.0", "128x4x4", str(73_728 + 147_456 + 8_192)]
    assert len(lines) == 3
    json_stream = io.StringIO()
    write(report, "json", json_stream, depth=0)  # the JSON report keeps every layer
    assert json_stream.getvalue().count('"module": "layer2.0"') == 6


def test_generated_names_resolve_inside_their_instance():
    # `conv2` is the second unnamed conv of the instance: stage.1.conv2 in the second one
    # (the repetition is the instance: a named repeat over one unnamed module use).
    text = """
input: [4, 8, 8]
modules:
  block:
    layers:
      - conv: {filters: 4, kernel: 3, padding: 1}
      - conv: {filters: 4, kernel: 3, padding: 1}
      - add: [conv2, input]
layers:
  - repeat: 2
    name: stage
    layers:
      - block
"""
    nodes = {node.name: node for node in build_text(text).nodes}
    assert nodes["stage.1.add1"].inputs == ("stage.1.conv2", "stage.0.add1")


def test_thousands_of_problems_are_listed_briefly():
    layers = "".join(f"  - relu:\n    from: nowhere{i}\n" for i in range(300))
    with pytest.raises(SpecError) as error:
        build_text("input: [1, 4]\nlayers:\n" + layers)
    lines = str(error.value).splitlines()
    assert len(lines) == 51 and lines[-1] == "... and 250 more problems"


# --- `when:` in every place it may appear, and the format's other choices (issue 15) -------

PROJECTION = """
input: [8, 8, 8]
modules:
  proj:
    params: {filters: 8}
    layers:
      - conv: {filters: "${filters}", kernel: 1, bias: false}
      - batchnorm
  block:
    params: {filters: 8, act: relu, project: false}
    layers:
      - conv: {filters: "${filters}", kernel: 3, padding: 1}
      - ${act}
      - conv: {filters: "${filters}", kernel: 3, padding: 1}
        name: main
      - proj: {filters: "${filters}"}
        from: input
        name: shortcut
        when: ${project}
      - identity:
        from: input
        name: shortcut
        when: ${not project}
      - add: [main, shortcut]
      - ${act}:
        name: output
layers:
"""


def test_a_module_use_left_out_by_when_is_not_built():
    # The bug of issue 15: `when:` on a module use was read and ignored, so a left-out
    # projection was built and counted (RegNetX-400MF came out 1,928,544 params too many).
    report = analyze_text(PROJECTION + "  - block: {filters: 8}\n")
    names = [layer.name for layer in report.layers]
    assert not any(name.startswith("block1.shortcut.") for name in names)
    assert report.layers[names.index("block1.add1")].inputs == ("block1.main", "block1.shortcut")
    # Two 3x3 convs of 8 -> 8 with bias: 2 * (3*3*8*8 + 8) = 2 * 584 = 1,168; the identity adds none.
    assert report.totals.params == 1_168


def test_a_module_use_kept_by_when_is_built_and_wins_its_name():
    report = analyze_text(PROJECTION + "  - block: {filters: 16, project: true, act: hardswish}\n")
    by_name = {layer.name: layer for layer in report.layers}
    assert "block1.shortcut" not in by_name  # the left-out identity of the same name
    assert by_name["block1.add1"].inputs == ("block1.main", "block1.shortcut.batchnorm1")
    assert by_name["block1.hardswish1"].type == "hardswish"  # `- ${act}` chose the type
    assert by_name["block1.output"].type == "hardswish"  # `${act}:` as a key, with siblings
    # conv 8 -> 16: 3*3*8*16 + 16 = 1,168; conv 16 -> 16: 3*3*16*16 + 16 = 2,320;
    # projection 1*1*8*16 = 128, its batchnorm 2*16 = 32 params: 1,168 + 2,320 + 128 + 32 = 3,648.
    assert report.totals.params == 3_648


def test_a_top_level_module_use_left_out_passes_its_input_and_its_name_means_that():
    text = PROJECTION + (
        "  - conv: {filters: 8, kernel: 1}\n"
        "  - block: {filters: 8}\n"
        "    name: skipped\n"
        "    when: false\n"
        "  - relu:\n"
        "    from: skipped\n"
    )
    nodes = {node.name: node for node in build_text(text).nodes}
    assert list(nodes) == ["conv1", "relu1"]
    assert nodes["relu1"].inputs == ("conv1",)


def test_a_left_out_layer_takes_no_name():
    text = """
    input: [4, 8, 8]
    layers:
      - conv: {filters: 4, kernel: 3, padding: 1}
      - conv: {filters: 4, kernel: 3, padding: 1}
        when: false
      - conv: {filters: 4, kernel: 3, padding: 1}
    """
    nodes = build_text(text).nodes
    # The second conv is not written as far as names go: the third is conv2, reading conv1.
    assert [(node.name, node.inputs) for node in nodes] == [("conv1", ("input",)), ("conv2", ("conv1",))]


def test_a_left_out_merge_passes_on_its_first_input():
    text = """
    input: [4, 8, 8]
    layers:
      - conv: {filters: 4, kernel: 3, padding: 1}
        name: main
      - add: [main, input]
        when: false
      - relu
    """
    nodes = build_text(text).nodes
    assert [(node.name, node.inputs) for node in nodes] == [("main", ("input",)), ("relu1", ("main",))]


def test_repeat_zero_times_passes_its_input_on():
    # A stage written "first block, then repeat: ${depth - 1}" holds for a depth of 1.
    text = """
    input: [4, 8, 8]
    layers:
      - conv: {filters: 4, kernel: 3, padding: 1}
      - repeat: 0
        layers:
          - conv: {filters: 4, kernel: 3, padding: 1}
      - relu
    """
    nodes = build_text(text).nodes
    assert [(node.name, node.inputs) for node in nodes] == [("conv1", ("input",)), ("relu1", ("conv1",))]
    with pytest.raises(SpecError, match="repeat must be a whole number, 0 or more, not -1"):
        build_text(text.replace("repeat: 0", "repeat: -1"))


INDEXED = """
input: [4, 8, 8]
modules:
  block:
    params: {filters: null, stride: 1, project: false}
    layers:
      - {conv: {filters: "${filters}", kernel: 3, stride: "${stride}", padding: 1}, name: conv1}
      - {conv: {filters: "${filters}", kernel: 1, stride: "${stride}"}, name: proj, from: input, when: "${project}"}
      - {add: [conv1, proj], name: add}
  stage:                          # the first block strides and projects, the others do not
    params: {filters: null, blocks: null}
    layers:
      - repeat: "${blocks}"
        index: i
        layers:
          - {block: {filters: "${filters}", stride: "${2 if i == 0 else 1}", project: "${i == 0}"}, name: "${i}"}
layers:
  - {stage: {filters: 8, blocks: 2}, name: layer1}
  - {stage: {filters: 16, blocks: 1}, name: layer2}
  - {stage: {filters: 16, blocks: 0}, name: layer3}
  - repeat: 3
    index: j
    layers:
      - {dropout: "${j / 10}", name: "drop${j + 1}"}
"""


def test_a_repeat_index_numbers_the_repetitions():
    report = analyze_text(INDEXED)
    rows = [(layer.name, list(layer.shape), layer.params) for layer in report.layers]
    # layer1.0: conv 3x3 4 -> 8 stride 2, (9*4 + 1) * 8 = 296; proj 1x1 4 -> 8, (4 + 1) * 8 = 40.
    # layer1.1: conv 3x3 8 -> 8 stride 1, (9*8 + 1) * 8 = 584, no proj (the add reads the input).
    # layer2.0: conv 3x3 8 -> 16 stride 2, (9*8 + 1) * 16 = 1,168; proj (8 + 1) * 16 = 144.
    # layer3: no block at all (repeat 0 passes the input on).
    assert rows[:8] == [
        ("layer1.0.conv1", [8, 4, 4], 296),
        ("layer1.0.proj", [8, 4, 4], 40),
        ("layer1.0.add", [8, 4, 4], 0),
        ("layer1.1.conv1", [8, 4, 4], 584),
        ("layer1.1.add", [8, 4, 4], 0),
        ("layer2.0.conv1", [16, 2, 2], 1_168),
        ("layer2.0.proj", [16, 2, 2], 144),
        ("layer2.0.add", [16, 2, 2], 0),
    ]
    # A top-level repeat (a file without params:) has its index too; names stay as written.
    drops = [(layer.name, layer.spec.args["p"]) for layer in report.layers[8:]]
    assert drops == [("drop1", 0), ("drop2", 0.1), ("drop3", 0.2)]
    assert report.layers[5].inputs == ("layer1.1.add",)


def test_a_repeat_index_in_a_named_repeat_of_one_module_use():
    text = INDEXED.split("layers:\n  - {stage")[0] + (
        "layers:\n"
        "  - repeat: 2\n"
        "    name: layer1\n"
        "    index: i\n"
        "    layers:\n"
        '      - block: {filters: 8, stride: "${2 if i == 0 else 1}", project: "${i == 0}"}\n'
    )
    names = [layer.name for layer in analyze_text(text).layers]
    assert names == ["layer1.0.conv1", "layer1.0.proj", "layer1.0.add", "layer1.1.conv1", "layer1.1.add"]


@pytest.mark.parametrize(
    "change, message",
    [
        (("index: j", "index: 3"), "index is a name for the repetition's number, such as i, not 3"),
        (('name: "drop${j + 1}"', "name: drop"), 'duplicate layer name "drop"'),
        (("${j / 10}", "${k / 10}"), "unknown name 'k'"),
        (("repeat: 3", "repeat: 1000000"), "an indexed repeat runs at most 200,000 times in all"),
    ],
)
def test_repeat_index_errors(change, message):
    with pytest.raises(SpecError, match=message):
        build_text(INDEXED.replace(*change))


def test_file_parameters_reach_every_module():
    # A file with parameters of its own and two modules stopped with "internal error:
    # AttributeError" (exit 3): the loop over the modules lost its mapping to a parameter.
    text = """
    params: {width: 4}
    input: [3, 8, 8]
    modules:
      a:
        layers:
          - conv: {filters: "${width}", kernel: 1}
      b:
        params: {width: 2}      # its own parameter wins over the file's
        layers:
          - conv: {filters: "${width}", kernel: 1}
    layers: [a, b]
    """
    # a: 1x1 conv 3 -> 4, (3 + 1) * 4 = 16 params; b: 1x1 conv 4 -> 2, (4 + 1) * 2 = 10.
    assert [layer.params for layer in analyze_text(text).layers] == [16, 10]


def test_an_instance_inside_an_instance_is_reached_by_its_full_name():
    # LR-ASPP reads C2, the fifth block of its backbone: backbone.4, an instance in an instance.
    text = """
    input: [3, 16, 16]
    modules:
      down:
        layers:
          - {conv: {filters: 4, kernel: 3, stride: 2, padding: 1}, name: conv}
          - {relu: null, name: act}
      backbone:
        layers:
          - {down: null, name: "0"}
          - {down: null, name: "1"}
    layers:
      - {backbone: null, name: backbone}
      - {resize: {like: backbone.0, mode: bilinear}, name: up}
      - {concat: [up, backbone.0]}
    """
    nodes = {node.name: node for node in build_text(text).nodes}
    # backbone.0 means its output, backbone.0.act (8x8); backbone (its last layer) is 4x4.
    assert nodes["up"].inputs == ("backbone.1.act", "backbone.0.act")
    assert nodes["concat1"].inputs == ("up", "backbone.0.act")


def test_a_type_chosen_by_a_parameter_must_be_a_word():
    text = """
    input: [4, 8, 8]
    modules:
      act:
        params: {kind: 3}
        layers:
          - ${kind}:
            name: output
    layers:
      - act
    """
    with pytest.raises(SpecError) as error:
        build_text(text)
    assert "${kind} gives 3, but a key is a word such as relu" in str(error.value)
    assert error.value.diagnostics[0].loc.line == 7


# --- Modules shared between files: `import:` ------------------------------------------------

BLOCKS = """
modules:
  conv_bn:
    params: {filters: null}
    layers:
      - conv: {filters: "${filters}", kernel: 3, padding: 1, bias: false}
      - batchnorm
"""


def test_a_file_uses_the_modules_of_the_files_it_imports(tmp_path):
    from cnncalc.report import analyze_file

    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "blocks.yaml").write_text(BLOCKS)
    (tmp_path / "shared" / "more.yaml").write_text(
        "import: blocks.yaml\nmodules:\n  pair:\n    layers:\n      - conv_bn: {filters: 8}\n      - conv_bn: {filters: 8}\n"
    )
    net = tmp_path / "net.yaml"
    net.write_text("input: [4, 8, 8]\nimport: [shared/blocks.yaml, shared/more.yaml]\nlayers:\n  - pair\n")
    report = analyze_file(str(net))
    # conv 4 -> 8: 3*3*4*8 = 288, its batchnorm 2*8 = 16; conv 8 -> 8: 3*3*8*8 = 576, + 16:
    # 288 + 16 + 576 + 16 = 896 params; both batchnorms hold 2*8 buffers: 32. (blocks.yaml is
    # imported twice, directly and through more.yaml: one definition, no clash.)
    assert (report.totals.params, report.totals.buffers) == (896, 32)
    assert [layer.name for layer in report.layers][0] == "pair1.conv_bn1.conv1"


def test_import_errors_name_their_place(tmp_path):
    from cnncalc.spec import read

    (tmp_path / "a.yaml").write_text("import: b.yaml\nmodules:\n  x:\n    layers: [relu]\n")
    (tmp_path / "b.yaml").write_text("import: a.yaml\n")
    net = tmp_path / "net.yaml"
    net.write_text("input: [1, 4]\nimport: a.yaml\nlayers: [relu]\n")
    with pytest.raises(SpecError, match="files import each other without end: .*a.yaml -> .*b.yaml -> .*a.yaml"):
        read(str(net))
    (tmp_path / "b.yaml").write_text("modules:\n  x:\n    layers: [relu]\n")
    with pytest.raises(SpecError) as error:
        read(str(net))
    assert 'module "x" is defined twice' in str(error.value)
    net.write_text("input: [1, 4]\nimport: missing.yaml\nlayers: [relu]\n")
    with pytest.raises(SpecError) as error:
        read(str(net))
    assert "cannot read" in str(error.value) and f"(imported at {net}:2)" in str(error.value)
    net.write_text("input: [1, 4]\nimport: /etc/passwd\nlayers: [relu]\n")
    with pytest.raises(SpecError) as error:
        read(str(net))
    assert error.value.diagnostics[0].loc.line == 2  # only .yaml files are imported


def test_top_level_params_reach_every_module_of_the_file():
    # It stopped with an internal error (exit 3) once a file had top-level params and two
    # modules: the loop over the params rebound the modules' mapping.
    report = analyze_text(
        """
        params: {width: 0.5}
        input: [3, 8, 8]
        modules:
          block:
            params: {filters: 16}
            layers:
              - conv: {filters: "${filters * width // 1}", kernel: 3, padding: 1}
          head:
            layers:
              - conv: {filters: "${10 * width // 1}", kernel: 1}
        layers:
          - block: {}
          - head: {}
        """
    )
    # block: 16 * 0.5 = 8 filters 3x3 on 3 channels: 8*27 + 8 = 224; head: 5 filters 1x1 on 8: 5*8 + 5 = 45.
    assert [layer.params for layer in report.layers] == [224, 45]


def test_a_file_of_modules_only_is_refused_saying_what_it_is_for():
    # architectures/torchvision/blocks/*.yaml hold modules for other files' import:; read as a
    # network they said "missing input:" and "missing layers:", as if the file were broken.
    from cnncalc import source, spec

    text = "# blocks\nmodules:\n  unit:\n    layers: [relu]\n"
    with pytest.raises(SpecError) as error:
        spec.parse(source.parse(text, "blocks.yaml"), "blocks.yaml")
    (diagnostic,) = error.value.diagnostics
    assert (diagnostic.loc.line, diagnostic.loc.column) == (2, 1)
    assert "modules only" in diagnostic.message and "import" in diagnostic.message
