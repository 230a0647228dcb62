from conftest import shot


def test_shot_race(page, voila_url):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{voila_url}/voila/render/10_backprop_is_fast.ipynb", timeout=300_000)
    page.wait_for_selector(".bpx-plot[data-painted]", timeout=300_000)
    page.wait_for_function("() => document.body.innerText.includes('FD / backprop')", timeout=300_000)
    sel = page.locator("select").first
    opts = sel.locator("option").all_inner_texts()
    print("\nOPTIONS", opts)
    sel.select_option(index=len(opts) - 1)
    page.get_by_role("button", name="race!").click()
    page.wait_for_timeout(6000)
    shot(page, "zz-race-running")
    page.get_by_role("button", name="stop").click()
    page.wait_for_timeout(1500)
    shot(page, "zz-race-stopped")
    sel.select_option(index=3)
    page.get_by_role("button", name="race!").click()
    page.wait_for_function("() => document.body.innerText.includes('finished')", timeout=120_000)
    page.wait_for_timeout(1000)
    shot(page, "zz-race-finished")


def test_shot_training(page, voila_url):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{voila_url}/voila/render/12_learning_digits.ipynb", timeout=300_000)
    page.wait_for_selector(".bpx-plot[data-painted]", timeout=300_000)
    page.wait_for_timeout(2000)
    shot(page, "zz-training")
    page.get_by_role("button", name="saturate the hidden layer").click()
    page.wait_for_timeout(3000)
    shot(page, "zz-training-preset")
