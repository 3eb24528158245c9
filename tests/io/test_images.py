import io

import numpy as np
import pytest
from PIL import Image

from dataflow.io.images import ImageLoadError, image_to_data_url, load_image, smart_resize


def save(tmp_path, image, name, **kwargs):
    path = tmp_path / name
    image.save(path, **kwargs)
    return str(path)


@pytest.mark.parametrize(
    "make, name",
    [
        (lambda: Image.new("RGBA", (64, 48), (255, 0, 0, 0)), "rgba.png"),
        (lambda: Image.new("P", (64, 48)), "palette.png"),
        (lambda: Image.new("CMYK", (64, 48), (0, 255, 0, 0)), "cmyk.jpg"),
        (lambda: Image.fromarray(np.full((48, 64), 60000, dtype=np.uint16)), "gray16.png"),
        (lambda: Image.new("L", (64, 48), 128), "gray.png"),
        (lambda: Image.new("LA", (64, 48), (128, 255)), "gray_alpha.png"),
    ],
)
def test_every_mode_becomes_rgb(tmp_path, make, name):
    image = load_image(save(tmp_path, make(), name), max_pixels=None)
    assert image.mode == "RGB" and image.size == (64, 48)


def test_transparent_pixels_become_white(tmp_path):
    image = load_image(save(tmp_path, Image.new("RGBA", (8, 8), (255, 0, 0, 0)), "t.png"), max_pixels=None)
    assert image.getpixel((0, 0)) == (255, 255, 255)


def test_sixteen_bit_keeps_brightness(tmp_path):
    image = load_image(save(tmp_path, Image.fromarray(np.full((8, 8), 65535, dtype=np.uint16)), "w.png"), max_pixels=None)
    assert image.getpixel((0, 0)) == (255, 255, 255)


def test_exif_rotation_is_applied(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees
    path = save(tmp_path, Image.new("RGB", (200, 100), "red"), "rot.jpg", exif=exif)
    assert load_image(path, max_pixels=None).size == (100, 200)
    bounded = load_image(path, factor=28, min_pixels=28 * 28, max_pixels=56 * 112)
    assert bounded.size[1] > bounded.size[0]  # still portrait after bounding


def test_animated_gif_gives_first_frame(tmp_path):
    frames = [Image.new("RGB", (32, 32), c) for c in ("red", "blue")]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    image = load_image(str(path), max_pixels=None)
    assert image.mode == "RGB" and image.getpixel((0, 0))[0] > 200


def test_fifty_megapixel_image_is_bounded(tmp_path):
    path = save(tmp_path, Image.new("RGB", (8660, 5774), "green"), "big.jpg", quality=50)
    image = load_image(path, factor=28, min_pixels=4 * 784, max_pixels=1280 * 784)
    w, h = image.size
    assert w * h <= 1280 * 784 and w % 28 == 0 and h % 28 == 0
    assert abs(w / h - 8660 / 5774) < 0.05


def write(path, data):
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize(
    "setup, message",
    [
        (lambda d: str(d / "missing.png"), "image file not found"),
        (lambda d: write(d / "empty.png", b""), "empty"),
        (lambda d: write(d / "text.png", b"hello, not an image"), "not an image file"),
        (lambda d: str(d), "folder"),
    ],
)
def test_unusable_files_raise_row_errors(tmp_path, setup, message):
    with pytest.raises(ImageLoadError, match=message):
        load_image(setup(tmp_path))


def test_truncated_jpeg_is_a_row_error(tmp_path):
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (256, 256, 3), dtype=np.uint8)).save(buffer, "JPEG")
    path = tmp_path / "cut.jpg"
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    with pytest.raises(ImageLoadError, match="cannot decode image"):
        load_image(str(path))


@pytest.mark.parametrize("h, w", [(1, 1), (100, 3000), (4000, 3000), (28, 28), (1080, 1920)])
def test_smart_resize_bounds(h, w):
    rh, rw = smart_resize(h, w, 28, 4 * 784, 1280 * 784)
    assert rh % 28 == 0 and rw % 28 == 0
    assert 4 * 784 <= rh * rw <= 1280 * 784


def test_extreme_aspect_ratio_is_refused():
    with pytest.raises(ImageLoadError, match="aspect ratio"):
        smart_resize(10, 5000)


def test_data_url():
    url = image_to_data_url(Image.new("RGB", (4, 4)))
    assert url.startswith("data:image/jpeg;base64,")


def test_unicode_file_names(tmp_path):
    path = save(tmp_path, Image.new("RGB", (40, 30), "blue"), "图片 çà ü.png")
    assert load_image(path, max_pixels=None).size == (40, 30)


def test_inexact_load_leaves_the_last_resize_to_the_processor(tmp_path):
    path = save(tmp_path, Image.new("RGB", (1024, 768), "red"), "photo.jpg")
    exact = load_image(path, factor=28, min_pixels=3136, max_pixels=448 * 448)
    rough = load_image(path, factor=28, min_pixels=3136, max_pixels=448 * 448, exact=False)
    assert exact.size == (504, 364)
    assert rough.size == (512, 384)  # decoded at half scale: within 2x of the bound per side
    assert rough.width * rough.height <= 4 * 504 * 364


def test_decoded_images_are_reused_per_file_and_bounds(tmp_path):
    import os

    from PIL import Image

    from dataflow.io.images import DecodedImageCache, load_image

    path = tmp_path / "a.png"
    Image.new("RGB", (300, 200), "red").save(path)
    cache = DecodedImageCache(max_pixels_total=200_000)
    load = lambda bound: (lambda: load_image(str(path), max_pixels=bound))  # noqa: E731
    first = cache.get_or_load(DecodedImageCache.key(str(path), 28 * 28 * 64), load(28 * 28 * 64))
    again = cache.get_or_load(DecodedImageCache.key(str(path), 28 * 28 * 64), load(28 * 28 * 64))
    assert again is first and (cache.hits, cache.misses) == (1, 1)
    other_bound = cache.get_or_load(DecodedImageCache.key(str(path), 28 * 28 * 16), load(28 * 28 * 16))
    assert other_bound is not first and other_bound.size != first.size
    Image.new("RGB", (300, 200), "blue").save(path)  # a new photo at the same path
    os.utime(path, ns=(1, 1))
    changed = cache.get_or_load(DecodedImageCache.key(str(path), 28 * 28 * 64), load(28 * 28 * 64))
    assert changed is not first and changed.getpixel((0, 0))[2] > 200
    assert cache._pixels <= 200_000  # bounded: older entries went out


def test_rows_decoding_the_same_file_at_once_share_one_decode(tmp_path):
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    from PIL import Image

    from dataflow.io.images import DecodedImageCache, load_image

    path = tmp_path / "a.png"
    Image.new("RGB", (64, 64), "red").save(path)
    cache = DecodedImageCache()
    decodes = []
    lock = threading.Lock()

    def slow_load():
        with lock:
            decodes.append(1)
        time.sleep(0.2)
        return load_image(str(path))

    key = DecodedImageCache.key(str(path), 1)
    with ThreadPoolExecutor(8) as pool:
        images = list(pool.map(lambda _: cache.get_or_load(key, slow_load), range(8)))
    assert len(decodes) == 1 and all(image is images[0] for image in images)

    def broken():
        raise OSError("truncated file")

    import pytest

    bad = DecodedImageCache.key(str(path), 2)
    for _ in range(2):  # a failure is raised, and not remembered: the next row tries again
        with pytest.raises(OSError, match="truncated"):
            cache.get_or_load(bad, broken)
    assert cache.get_or_load(bad, lambda: load_image(str(path))).size == load_image(str(path)).size
