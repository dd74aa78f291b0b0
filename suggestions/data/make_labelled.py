"""Writes labelled.jsonl: requests in the people's own kind of words, for evaluate_suggestions.

Written for this project from the kinds in shared/samples/requests.md; deterministic
(templates × variations, one seed), and worded apart from the synthetic history that
suggestions/synthetic.py builds, so the file stays held out from training.

    python suggestions/data/make_labelled.py > suggestions/data/labelled.jsonl
"""

import json
import random
import sys

ES, LD, FE = "Education Services", "L&D", "Field Enablement"
NO_BADGE = "Certification > Badge not received"
BADGE_EMAIL = "Certification > Change badge email"
PRIVATE = "Training > Private training scheduling"
WRONG_FORM = "General > Forms > Incorrect Form Used"

COURSES = ["GitLab CI/CD", "Security Essentials", "GitLab with Git Fundamentals",
           "Project Management", "DevSecOps Foundations", "GitLab Administration"]
EXAMS = ["Certified Associate", "Certified CI/CD Associate", "Certified Security Specialist",
         "Certified Project Management Associate"]
OPENERS = ["", "Hi team,\n", "Hello,\n", "Good morning,\n", "Hi there!\n", "Dear support,\n"]
CLOSERS = ["", "\nThanks!", "\nThank you in advance.", "\nAny help appreciated.",
           "\nRegards", "\nCheers"]

# kind: (labels, subjects, bodies); {course}, {exam}, {n}, {when} are filled in.
KINDS = {
    "login": ({"category": "platform-support", "delegate": ES}, [
        "Can't log in to Level Up", "Login not working", "Unable to sign in to the learning portal",
        "Locked out of my Level Up account", "Invalid credentials error", "Password reset not helping",
    ], [
        "I reset my password twice and the learning platform still says invalid credentials.",
        "Every time I try to sign in I get bounced back to the login page with no error.",
        "The password reset email arrives but the new password is rejected right away.",
        "I used to log in with SSO and now it asks me for a password I never set.",
        "My colleague can log in fine but I get 'account not found' with the same company email.",
    ]),
    "progress": ({"category": "platform-support", "delegate": ES}, [
        "Course progress reset", "My progress disappeared", "Completed lessons show as not started",
        "Progress lost in {course}", "Course shows 0% after update",
    ], [
        "My progress in {course} went back to 0% after I switched browsers.",
        "I had finished 7 of 10 modules of {course} and today everything is unchecked.",
        "The dashboard says I have not started {course} although I completed it {when}.",
        "Switching from my laptop to my phone wiped my progress in {course}.",
    ]),
    "enrollment": ({"category": "platform-support", "delegate": ES}, [
        "Enrollment link expired", "Enrolment link no longer valid", "Invitation link says expired",
        "Can't use the course invite our coordinator sent", "Registration link error",
    ], [
        "The enrollment link our training coordinator sent says it has expired.",
        "Our L&D coordinator shared a registration link for {course} but it shows 'link expired'.",
        "I clicked the invite for {course} {when} and it says the enrolment window is closed.",
        "{n} people on my team got the same invitation and all of them see an expired link.",
    ]),
    "course_question": ({"category": "training", "delegate": ES}, [
        "Question about the {course} course", "Lab instructions unclear in {course}",
        "Module 4 lab setting missing", "Can't find the setting the lab mentions",
        "Exercise in {course} doesn't match my instance",
    ], [
        "Module 4's lab refers to a setting I cannot find in my instance.",
        "The lab in {course} asks me to open Settings > CI/CD > Runners but that menu looks different.",
        "In lesson 3 of {course} the screenshots don't match what I see on my self-managed GitLab.",
        "The hands-on exercise tells me to enable a feature flag I can't locate.",
    ]),
    "private_training": ({"category": "training", "delegate": ES, "macro": PRIVATE}, [
        "Private training for our team of {n}", "Scheduling our private training session",
        "Booking the instructor-led training we purchased", "Private {course} workshop dates",
        "When can we have our private class?",
    ], [
        "We bought a private training session and want to schedule it for March.",
        "Our company purchased a private {course} class for {n} engineers; what dates are open?",
        "We have a paid instructor-led session included in our contract and would like it in Q2.",
        "Could we book the private training we paid for? We are {n} people across two time zones.",
    ]),
    "remote_foundations": ({"category": "training", "delegate": LD}, [
        "Remote Foundations certificate", "No certificate after Remote Foundations",
        "Remote Foundations completion not recognised", "Where is my Remote Foundations badge?",
    ], [
        "I completed Remote Foundations but see no certificate.",
        "I finished all the Remote Foundations modules {when} and nothing was issued.",
        "Our whole team did the Remote Foundations course; only half got a certificate.",
        "The Remote Foundations quiz says passed but my profile shows it incomplete.",
    ]),
    "teamops": ({"category": "training", "delegate": LD}, [
        "TeamOps course question", "Is TeamOps available in Spanish?", "TeamOps for our managers",
        "TeamOps certification question", "TeamOps course language options",
    ], [
        "Is the TeamOps course available in Spanish?",
        "We'd like our managers to take TeamOps; is there a group option and a certificate?",
        "Does the TeamOps practitioner course come in other languages than English?",
        "How long does the TeamOps course take and is it free for partners?",
    ]),
    "no_badge": ({"category": "certification", "delegate": ES, "macro": NO_BADGE}, [
        "Passed the exam but no badge", "Badge not received", "Still waiting for my badge",
        "No Credly email after passing the {exam} exam", "Where is my {exam} badge?",
    ], [
        "I passed the {exam} exam yesterday with 92% but never received the badge email.",
        "I got my passing score for {exam} {when} but Credly has nothing for me.",
        "The exam portal says passed, but no badge arrived, and I checked spam too.",
        "Passed {exam} with {n}% on the first try, still no digital badge.",
    ]),
    "badge_email": ({"category": "certification", "delegate": ES, "macro": BADGE_EMAIL}, [
        "Wrong email on my badge", "Please move my badge to another address",
        "Change the email of my certification badge", "Badge sent to my old work email",
        "Update email address on Credly badge",
    ], [
        "My badge went to my old work address; please move it to my personal one.",
        "I changed jobs and my {exam} badge is tied to an email I can no longer access.",
        "The badge was issued to a typo'd address; can you reissue it to the right one?",
        "Could you transfer my certification to my personal email instead of the company one?",
    ]),
    "retake": ({"category": "certification", "delegate": ES}, [
        "Certification retake policy", "How soon can I retake the exam?",
        "Failed the hands-on assessment", "Second attempt at the {exam} exam",
    ], [
        "I failed the hands-on assessment; how soon can I retake it?",
        "I scored {n}% on {exam} and missed the pass mark; is there a waiting period?",
        "Does my voucher include a retake of the {exam} assessment?",
        "I didn't pass the practical part; do I have to pay again to retry?",
    ]),
    "expired": ({"category": "certification", "delegate": ES}, [
        "Badge expired", "My certification shows as expired", "Do I need to recertify?",
        "Renewing an expired {exam} badge",
    ], [
        "My badge shows as expired; do I need to recertify?",
        "Credly marks my {exam} badge as expired {when}; how do I renew it?",
        "Is there a shorter renewal exam for an expired certification?",
        "My certification lapsed; will I keep the old badge if I take the new exam?",
    ]),
    "provisioning": ({"category": "demo-cloud", "delegate": ES}, [
        "Demo cloud environment not provisioning", "Lab environment stuck",
        "Sandbox stuck on provisioning", "Lab instance never starts",
    ], [
        "The lab environment for the course has been provisioning for two hours.",
        "My demo cloud instance for {course} has said 'provisioning' since this morning.",
        "The sandbox spinner never finishes and the lab timer is running out.",
        "I requested a lab environment {when} and it's still not ready.",
    ]),
    "credits": ({"category": "demo-cloud", "delegate": ES}, [
        "Demo cloud credits used up", "Out of sandbox credits", "No credits left for the lab",
        "Lab stopped: credit limit reached",
    ], [
        "The sandbox says I have no credits left halfway through the lab.",
        "My demo cloud ran out of credits during {course} and shut down.",
        "The lab environment stopped with 'credit limit reached' before I finished the exercise.",
        "I only used the sandbox for two hours and it says my credits are gone.",
    ]),
    "sales": ({"delegate": FE}, [
        "Sales certification for partners", "Partner sales training", "Who runs the sales certification?",
        "Sales enablement course for our resellers", "Sales accreditation for channel partners",
    ], [
        "Our partner sellers need the sales certification; who runs it?",
        "We are a reseller and {n} of our account executives need the GitLab sales training.",
        "How do our channel reps get the sales accreditation required by the partner program?",
        "Is there a sales certification path for partner account managers?",
    ]),
    "pricing": ({"category": "other", "delegate": ES, "macro": WRONG_FORM}, [
        "Pricing question", "How much is Premium?", "Quote for {n} Ultimate seats",
        "License cost question", "Upgrade pricing",
    ], [
        "How much does the Premium tier cost for {n} users?",
        "Could you send a quote for upgrading our {n} seats from Premium to Ultimate?",
        "What would the yearly license be for a team of {n}?",
        "We need pricing for adding {n} more users to our subscription.",
    ]),
    "product_bug": ({"category": "other", "delegate": ES, "macro": WRONG_FORM}, [
        "Bug in merge requests", "Merge request approvals broken", "Pipeline fails after upgrade",
        "Issue boards not loading", "Runner registration error",
    ], [
        "Merge request approvals are not working on our self-managed instance.",
        "Since upgrading to the latest release our pipelines fail with a 500 error.",
        "Issue boards time out for everyone in our group since this morning.",
        "Registering a new runner returns 'forbidden' on our self-managed GitLab.",
    ]),
}
PER_KIND = 22
WHEN = ["yesterday", "last week", "on Monday", "two days ago", "this morning", "in March"]


def lines(seed: int = 18) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for labels, subjects, bodies in KINDS.values():
        combos = [(s, b) for s in subjects for b in bodies]
        rng.shuffle(combos)
        seen: set[tuple[str, str]] = set()
        # Each subject × body pair once, then again with other details, until PER_KIND.
        for subject, body in (combos * 3):
            fill = {"course": rng.choice(COURSES), "exam": rng.choice(EXAMS),
                    "n": rng.choice([5, 12, 20, 35, 50, 80]), "when": rng.choice(WHEN)}
            text = rng.choice(OPENERS) + body.format(**fill) + rng.choice(CLOSERS)
            line = (subject.format(**fill), text)
            if line in seen:
                continue
            seen.add(line)
            out.append({"subject": line[0], "body": text, **labels})
            if len(seen) == PER_KIND:
                break
    rng.shuffle(out)
    return out


if __name__ == "__main__":
    for line in lines():
        sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
