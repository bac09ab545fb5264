// Drives Debian's chromium, headless, through the staff app of a running
// `tryghed demo`: log in, see an alarm arrive from the replayed room,
// acknowledge it, resolve it. Screenshots go to the folder given.
//   node staff_app.mjs URL NAME PASSWORD SCREENSHOT_DIR
import { chromium } from "playwright-core";

const [url, name, password, shots] = process.argv.slice(2);
const step = (what) => console.log(`e2e: ${what}`);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, locale: "da-DK" });
  page.on("pageerror", (error) => { console.error(`page error: ${error.message}`); process.exitCode = 1; });
  await page.goto(url);
  await page.waitForSelector("#login:not([hidden])");
  await page.screenshot({ path: `${shots}/1-login.png` });
  step("the log-in form shows, in Danish");
  if ((await page.textContent("#login h2")) !== "Log ind") throw new Error("the page is not in Danish");
  await page.fill("#name", name);
  await page.fill("#password", "wrong password");
  await page.click("#login button[type=submit]");
  await page.waitForSelector("#login-error:text('wrong name or password')");
  step("a wrong password is refused");
  await page.fill("#password", password);
  await page.click("#login button[type=submit]");
  await page.waitForSelector("#board:not([hidden])");
  step("logged in");
  const card = page.locator("li.alarm", { hasText: "Fald" });
  await card.waitFor({ timeout: 60000 });
  await page.screenshot({ path: `${shots}/2-alarm.png` });
  step("the fall alarm arrived over server-sent events");
  await card.locator("button.acknowledge").click();
  await card.locator(".state", { hasText: "Kvitteret af" }).waitFor();
  await page.screenshot({ path: `${shots}/3-acknowledged.png` });
  step("acknowledged");
  await card.locator("input.outcome").fill("Faldet; hjulpet op, ingen skade");
  await card.locator("button.resolve").click();
  await card.waitFor({ state: "detached" });
  await page.screenshot({ path: `${shots}/4-resolved.png` });
  step("resolved: the card is gone");
  await page.selectOption("#language", "en");
  await page.waitForSelector("h2:text('Open alarms')");
  step("English on request");
} finally {
  await browser.close();
}
